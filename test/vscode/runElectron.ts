// The same extension-host suite in desktop VS Code via @vscode/test-electron, for machines that can
// download VS Code (the offline machines use runCodeServer.ts). Same fixture, same suite, same
// closing `N passed, N failed` line; no screenshots (the suite's screenshot() is a no-op here).
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import {
  createRunDirs,
  ENV,
  readSuiteResults,
  removeRunDirs,
  reportSuiteResults,
  REPO_ROOT,
  stopPlatform,
  SUITE_ENTRY,
  writeEditorSettings,
} from './fixture';

const VSCODE_VERSION = '1.100.3';

async function main(): Promise<number> {
  const dirs = createRunDirs();
  const userData = join(dirs.editor, 'user-data');
  writeEditorSettings([join(userData, 'User')], dirs.home);
  const started = Date.now();
  try {
    let failure: string | undefined;
    try {
      await runTests({
        version: VSCODE_VERSION,
        extensionDevelopmentPath: REPO_ROOT,
        extensionTestsPath: SUITE_ENTRY,
        launchArgs: [dirs.workspace, '--user-data-dir', userData, '--extensions-dir', join(dirs.editor, 'extensions')],
        extensionTestsEnv: { [ENV.home]: dirs.home, [ENV.results]: dirs.results },
      });
    } catch (error) {
      failure = (error as Error).message; // also when tests failed: VS Code then exits non-zero
    }
    console.log(`VS Code run finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return reportSuiteResults(readSuiteResults(dirs.results), failure);
  } finally {
    await stopPlatform(dirs.home);
    removeRunDirs(dirs);
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
