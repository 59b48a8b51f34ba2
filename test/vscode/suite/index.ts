// The extension-host test entry both launchers point VS Code at (extensionTestsPath): runs mocha
// (tdd) in-process on the compiled form of every test/vscode/suite/*.test.ts, in name order (the
// numbered names put the destructive files last). The settled promise is the verdict VS Code
// reports; the per-test results also go to $FLIGHTDECK_TEST_RESULTS as JSON so the launcher can
// print them and the closing `N passed, N failed` line even where the host's console is not
// visible (the web workbench).
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { ENV, REPO_ROOT, type SuiteResults } from '../fixture';

const SOURCE_DIR = join(REPO_ROOT, 'test', 'vscode', 'suite');

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  for (const file of suiteFiles()) mocha.addFile(file);
  const results: SuiteResults = { passed: 0, failed: 0, tests: [] };
  try {
    await mocha.loadFilesAsync(); // a file that fails to load is reported as a failure, not lost
  } catch (error) {
    results.failed++;
    results.tests.push({ title: 'loading the suite files', state: 'failed', error: (error as Error).stack ?? String(error) });
    writeResults(results);
    throw error;
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run(() => {
      delete results.running;
      writeResults(results);
      if (results.failed > 0) reject(new Error(`${results.failed} of ${results.passed + results.failed} tests failed`));
      else if (results.passed === 0) reject(new Error('no test ran'));
      else resolve();
    });
    runner.on('test', (test) => {
      results.running = test.fullTitle();
      writeResults(results);
    });
    runner.on('pass', (test) => {
      results.passed++;
      results.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration });
      writeResults(results);
    });
    // Also fires for failing hooks, which count as failures too.
    runner.on('fail', (test, error: Error) => {
      results.failed++;
      results.tests.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration, error: error.stack ?? String(error) });
      writeResults(results);
    });
    runner.on('pending', (test) => results.tests.push({ title: test.fullTitle(), state: 'pending' }));
  });
}

/**
 * The compiled paths of the suite's sources. Listed from the source folder because tsc leaves the
 * output of a deleted or renamed test behind in out/, where it would otherwise still run; a source
 * not compiled yet fails to load and is reported.
 */
/** Every suite file, or those whose name contains $FLIGHTDECK_SUITE_ONLY (to run one file while working on it). */
function suiteFiles(): string[] {
  const only = process.env.FLIGHTDECK_SUITE_ONLY;
  return readdirSync(SOURCE_DIR)
    .filter((f) => f.endsWith('.test.ts') && (!only || f.includes(only)))
    .sort()
    .map((f) => join(__dirname, f.replace(/\.ts$/, '.js')));
}

function writeResults(results: SuiteResults): void {
  const file = process.env[ENV.results];
  if (file) writeFileSync(file, JSON.stringify(results, null, 2));
}
