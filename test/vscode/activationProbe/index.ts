// The extension-tests module of the activation benchmark (bench/extensionBench.ts), run by
// runCodeServer.ts's runInVsCode in a workspace WITHOUT flightdeck.yaml, where nothing activates
// the extension at startup. So the first activate() here pays what VS Code counts as activation:
// loading dist/extension.js through the extension host's module loader, then activate(). The
// figures go to $FLIGHTDECK_TEST_RESULTS as ActivationProbeResults.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as vscode from 'vscode';
import { ENV } from '../fixture';

export const EXTENSION_ID = 'flightdeck.flightdeck';
/** Startup's own work (built-in extensions activating on startup) settles first, off the figure. */
const SETTLE_MS = 2000;

export type ActivationProbeResults =
  | {
      /** `await extension.activate()`, wall clock in the extension host. */
      activationMs: number;
      /** The part spent loading the extension's code, from VS Code's own performance marks (1 ms resolution); null without them. */
      codeLoadingMs: number | null;
      /** Where the activated extension was loaded from: the repository, or an installed VSIX's folder. */
      extensionPath: string;
    }
  | {
      /** Activation could not be measured: the extension was missing or already active. */
      error: string;
    };

export async function run(): Promise<void> {
  const results = await measureActivation();
  const file = process.env[ENV.results];
  if (file) writeFileSync(file, JSON.stringify(results));
  if ('error' in results) throw new Error(results.error);
}

async function measureActivation(): Promise<ActivationProbeResults> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) return { error: `${EXTENSION_ID} is not loaded in this VS Code: extensionDevelopmentPath must be the repository, or the VSIX installed` };
  await sleep(SETTLE_MS);
  if (extension.isActive) {
    return { error: `${EXTENSION_ID} was already active in a workspace without flightdeck.yaml: activation is not lazy` };
  }
  const start = performance.now();
  await extension.activate();
  return { activationMs: performance.now() - start, codeLoadingMs: codeLoadingMs(), extensionPath: extension.extensionPath };
}

interface PerformanceMarks {
  getMarks(): { name: string; startTime: number }[];
}

/**
 * VS Code's extension host marks `code/extHost/willLoadExtensionCode/<id>` and
 * `didLoadExtensionCode/<id>` around loading an extension's main module (its own "code loading
 * time"); they live on a global its performance module shares.
 */
function codeLoadingMs(): number | null {
  const marks = (globalThis as { MonacoPerformanceMarks?: PerformanceMarks }).MonacoPerformanceMarks?.getMarks() ?? [];
  const at = (name: string) => marks.find((mark) => mark.name === `code/extHost/${name}/${EXTENSION_ID}`)?.startTime;
  const will = at('willLoadExtensionCode');
  const did = at('didLoadExtensionCode');
  return will === undefined || did === undefined ? null : did - will;
}
