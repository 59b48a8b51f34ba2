// Child process of the extension benchmark: loads dist/extension.js in plain Node with the
// `vscode` shim and times require() and activate(), printing one JSON line. It exits right after,
// before anything activation scheduled for later (e.g. connecting to a platform) can run.
//   node out/bench/activationProbe.js <dist/extension.js> <workspace folder>
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { extensionContext, vscodeModule } from './vscodeShim';

const [extensionFile, folder] = process.argv.slice(2);
const shim = vscodeModule(folder);
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const realLoad = loader._load;
loader._load = (request, parent, isMain) => (request === 'vscode' ? shim : realLoad(request, parent, isMain));

const root = dirname(dirname(extensionFile));
const start = performance.now();
const extension = require(extensionFile) as { activate(context: unknown): unknown };
const loaded = performance.now();
extension.activate(extensionContext(root, (relative: string) => join(root, relative)));
const activated = performance.now();
process.stdout.write(`${JSON.stringify({ loadMs: loaded - start, activateMs: activated - loaded })}\n`);
process.exit(0);
