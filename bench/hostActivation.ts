// Activation in a real VS Code extension host: the VS Code server (code-server's) with the workbench
// in headless Chromium, through the same launcher as the extension-host suite, running the probe
// test/vscode/activationProbe in a workspace without flightdeck.yaml. One fresh host per sample,
// so every sample is a first activation (code loading included), never a cached module. The
// extension is the repository's (extensionDevelopmentPath) or, for the installed row, a VSIX
// installed into the host with a probe-only development extension carrying the probe.
import { join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/platform';
import type { ActivationProbeResults } from '../test/vscode/activationProbe';
import { CODE_SERVER_VERSION } from '../test/vscode/installVsCodeServer';
import { runInVsCode, type HostRunOutcome } from '../test/vscode/runCodeServer';

const PROBE_ENTRY = join(REPO_ROOT, 'out', 'test', 'vscode', 'activationProbe', 'index.js');
/** A run takes about 20 s (server start, workbench load, the probe's settle); this bounds a stuck one. */
const RUN_TIMEOUT_MS = 120_000;

/** code-server pins the VS Code it serves: 4.100.3 is VS Code 1.100.3. */
export const HOST_NAME = `VS Code 1.100 extension host (code-server ${CODE_SERVER_VERSION}, headless Chromium)`;

export interface HostActivation {
  /** `await extension.activate()` in the host. */
  activationMs: number;
  /** Its code-loading part by VS Code's own marks; NaN where the host had none. */
  codeLoadingMs: number;
  /** Where the host loaded the extension from. */
  extensionPath: string;
}

/** Where the extension comes from: the repository as a development extension, or an installed VSIX. */
export interface ActivationSource {
  /** Installed with --install-extension; then `developmentPath` is a probe-only extension. */
  installVsix?: string;
  developmentPath?: string;
}

/** Activation in `runs` fresh hosts, one after the other; throws what kept a run from measuring. */
export async function measureHostActivation(runs: number, source: ActivationSource = {}): Promise<HostActivation[]> {
  const samples: HostActivation[] = [];
  for (let i = 1; i <= runs; i++) {
    process.stderr.write(`  real extension host, run ${i} of ${runs}…\n`);
    const outcome = await runInVsCode({
      testsPath: PROBE_ENTRY,
      workspace: 'no-project',
      timeoutMs: RUN_TIMEOUT_MS,
      log: (line) => process.stderr.write(`    ${line}\n`),
      ...source,
    });
    samples.push(sampleOf(outcome));
  }
  return samples;
}

function sampleOf(outcome: HostRunOutcome): HostActivation {
  if ('unfinished' in outcome.end) throw new Error(`the probe did not finish: ${outcome.end.unfinished}`);
  const results = outcome.results as ActivationProbeResults | undefined;
  if (!results) {
    const lastLine = outcome.consoleTail.trimEnd().split('\n').pop();
    throw new Error(`VS Code exited with ${outcome.end.code} before the probe wrote its figures (last console line: ${lastLine})`);
  }
  if ('error' in results) throw new Error(results.error);
  return { activationMs: results.activationMs, codeLoadingMs: results.codeLoadingMs ?? Number.NaN, extensionPath: results.extensionPath };
}
