// The extension-host test entry both launchers point VS Code at (extensionTestsPath): runs mocha
// (tdd) in-process on every *.test.js beside this file. The settled promise is the verdict VS Code
// reports; the per-test results also go to $FLIGHTDECK_TEST_RESULTS as JSON so the launcher can
// print them and the closing `N passed, N failed` line even where the host's console is not
// visible (the web workbench).
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { ENV, type SuiteResults } from '../fixture';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(join(__dirname, file));
  }
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

function writeResults(results: SuiteResults): void {
  const file = process.env[ENV.results];
  if (file) writeFileSync(file, JSON.stringify(results, null, 2));
}
