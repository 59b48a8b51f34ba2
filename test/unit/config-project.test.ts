import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/config/duration';
import { loadProjectFile, parseProjectFile, type Problem } from '../../src/config/projectFile';
import { isFlightdeckError } from '../../src/errors';
import { REPO_ROOT } from '../helpers/platform';

const SHOP = join(REPO_ROOT, 'test', 'fixtures', 'projects', 'shop', 'flightdeck.yaml');

describe('flightdeck.yaml parser', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-config-'));
    mkdirSync(join(dir, 'api'));
    file = join(dir, 'flightdeck.yaml');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (text: string): Problem[] => parseProjectFile(text, file).problems;
  const only = (text: string): Problem => {
    const problems = problemsOf(text);
    assert.equal(problems.length, 1, JSON.stringify(problems, null, 2));
    return problems[0];
  };
  const fn = (body: string) => `project: shop\nfunctions:\n  api:\n${body}`;
  const NODE = '    runtime: nodejs\n    code: ./api\n    handler: index.handler\n';

  it('reads the example project with every key, applying defaults and absolute paths', () => {
    const project = loadProjectFile(SHOP);
    assert.equal(project.project, 'shop');
    assert.deepEqual(project.functions.map((f) => f.name), ['api', 'worker']);
    const [api, worker] = project.functions;
    assert.deepEqual(api.config, {
      runtime: 'nodejs',
      handler: 'index.handler',
      instances: { min: 0, max: 4, concurrency: 16, idleTimeoutMs: 300_000 },
      env: { GREETING: 'hello' },
      timeoutMs: 30_000,
    });
    assert.equal(api.code, join(REPO_ROOT, 'test', 'fixtures', 'projects', 'shop', 'api'));
    assert.deepEqual(api.ignore, ['node_modules/.cache', '*.log']);
    assert.deepEqual(api.rollout, { preset: 'Canary10Percent5Minutes', gates: { maxErrorRate: 0.02 } });
    assert.equal(api.line, 3);
    assert.deepEqual(worker.config.command, ['node', 'server.js']);
    assert.equal(worker.config.handler, undefined);
    assert.deepEqual(project.environments, [
      { name: 'production', kind: 'production', protected: true },
      { name: 'staging', kind: 'staging', protected: false },
    ]);
    assert.equal(project.personal.name, '{user}-{branch}');
  });

  it('fills defaults for a minimal function', () => {
    const { project, problems } = parseProjectFile(fn(NODE), file);
    assert.deepEqual(problems, []);
    assert.deepEqual(project?.functions[0].config.instances, { min: 0, max: 4, concurrency: 16, idleTimeoutMs: 300_000 });
    assert.equal(project?.functions[0].config.timeoutMs, 30_000);
    assert.deepEqual(project?.environments, []);
    assert.equal(project?.personal.name, '{user}-{branch}');
  });

  it('reports a YAML syntax error at its line', () => {
    const problem = only('project: shop\nfunctions:\n  api: [unclosed\n  other: 1\n');
    assert.match(problem.message, /YAML syntax error/);
    assert.ok(problem.line >= 3, `line ${problem.line}`);
  });

  it('reports an unknown key at its line and suggests the closest known key', () => {
    const problem = only(fn(NODE + '    timout: 10s\n'));
    assert.equal(problem.line, 7);
    assert.equal(problem.column, 5);
    assert.equal(problem.path, 'functions.api.timout');
    assert.match(problem.message, /Unknown key `timout`.*Did you mean `timeout`\?/);
  });

  it('refuses a timeout the platform would refuse: fractional milliseconds, under 1 ms or over an hour', () => {
    const fractional = only(fn(NODE + '    timeout: 1.5\n'));
    assert.equal(fractional.line, 7);
    assert.match(fractional.message, /`functions\.api\.timeout` must be .*whole number of milliseconds/);
    for (const zero of ['0', '0s', '0.4ms']) {
      const problem = only(fn(NODE + `    timeout: ${zero}\n`));
      assert.equal(problem.line, 7);
      assert.match(problem.message, /`functions\.api\.timeout` must be at least 1ms/);
    }
    const long = only(fn(NODE + '    timeout: 2h\n'));
    assert.match(long.message, /`functions\.api\.timeout` must be at most 60m/);
    const { project } = parseProjectFile(fn(NODE + '    timeout: 1.5s\n    instances:\n      idleTimeout: 0\n'), file);
    assert.equal(project?.functions[0].config.timeoutMs, 1500);
    assert.equal(project?.functions[0].config.instances.idleTimeoutMs, 0);
  });

  it('reads events: fc3 and memory, and reports a wrong value at its line and column', () => {
    const { project, problems } = parseProjectFile(fn(NODE + '    events: fc3\n    memory: 1024\n'), file);
    assert.deepEqual(problems, []);
    assert.equal(project?.functions[0].config.events, 'fc3');
    assert.equal(project?.functions[0].config.memoryMb, 1024);
    const plain = parseProjectFile(fn(NODE), file).project?.functions[0].config;
    assert.equal('events' in plain!, false, 'absent unless declared, so existing versions keep their config hash');
    const events = only(fn(NODE + '    events: lambda\n'));
    assert.deepEqual([events.line, events.column], [7, 13]);
    assert.match(events.message, /must be fc3/);
    const memory = only(fn(NODE + '    memory: 10\n'));
    assert.deepEqual([memory.line, memory.column], [7, 13]);
  });

  it('reports wrong types naming the key and its line', () => {
    const problem = only(fn(NODE + '    instances: { max: many }\n'));
    assert.equal(problem.line, 7);
    assert.equal(problem.path, 'functions.api.instances.max');
    assert.match(problem.message, /whole number/);
    const list = only(fn('    runtime: custom\n    code: ./api\n    command: node server.js\n'));
    assert.equal(list.line, 6);
    assert.match(list.message, /`functions\.api\.command` must be a list/);
  });

  it('reports a missing required key at the key of the mapping that lacks it', () => {
    const problem = only(fn('    runtime: nodejs\n    handler: index.handler\n'));
    assert.equal(problem.line, 3);
    assert.equal(problem.path, 'functions.api.code');
    assert.match(problem.message, /Missing required key `code`/);
    assert.match(only('functions:\n  api:\n' + NODE).message, /Missing required key `project`/);
  });

  it('checks names are DNS-safe', () => {
    const problem = only('project: shop\nfunctions:\n  My_Api:\n' + NODE);
    assert.equal(problem.line, 3);
    assert.match(problem.message, /Invalid function name "My_Api"/);
    assert.equal(only(fn(NODE) + 'environments:\n  Prod: { kind: production }\n').line, 8);
  });

  it('checks durations, handler form, min ≤ max and the code folder', () => {
    assert.equal(only(fn(NODE + '    timeout: soon\n')).line, 7);
    assert.match(only(fn('    runtime: nodejs\n    code: ./api\n    handler: index\n')).message, /<file>\.<export>/);
    const minMax = only(fn(NODE + '    instances: { min: 5, max: 2 }\n'));
    assert.equal(minMax.line, 7);
    assert.match(minMax.message, /min` \(5\) must not exceed/);
    const missing = only(fn('    runtime: nodejs\n    code: ./nope\n    handler: index.handler\n'));
    assert.equal(missing.line, 5);
    assert.match(missing.message, /Code folder `\.\/nope` does not exist/);
    assert.match(only(fn('    runtime: custom\n    code: ./api\n')).message, /Missing required key `command`/);
  });

  it('checks rollout defaults with the preset parser', () => {
    const preset = only(fn(NODE + '    rollout: { preset: Canary200Percent }\n'));
    assert.equal(preset.line, 7);
    assert.match(preset.message, /Unknown rollout preset/);
    assert.match(only(fn(NODE + '    rollout: { steps: [50, 20, 100] }\n')).message, /must increase/);
    const { project } = parseProjectFile(fn(NODE + '    rollout: { steps: [10, 100], interval: 1m, maxP95: 300ms, minRequests: 5 }\n'), file);
    assert.deepEqual(project?.functions[0].rollout, { steps: [10, 100], intervalMs: 60_000, gates: { maxP95Ms: 300, minRequests: 5 } });
  });

  it('collects every problem of a file in one pass, in line order', () => {
    const text = [
      'project: Shop',               // 1 bad name
      'functions:',
      '  api:',
      '    runtme: nodejs',          // 4 unknown key (and runtime missing at 3)
      '    code: ./nope',            // 5 missing folder
      '    handler: index.handler',
      '    timeout: forever',        // 7 bad duration
      'environments:',
      '  prod: { kind: live }',      // 9 bad kind
      'extra: 1',                    // 10 unknown top-level key
    ].join('\n');
    const problems = problemsOf(text);
    assert.deepEqual(problems.map((p) => p.line), [1, 3, 4, 5, 7, 9, 10]);
    assert.ok(problems.every((p) => p.message.length > 20));
  });

  it('loadProjectFile throws CONFIG_INVALID with file, line and every problem; NO_PROJECT when absent', () => {
    writeFileSync(file, fn(NODE + '    timeout: soon\n    max: 3\n'));
    assert.throws(() => loadProjectFile(file), (error: unknown) => {
      assert.ok(isFlightdeckError(error, 'CONFIG_INVALID'));
      assert.equal(error.details.file, file);
      assert.equal(error.details.line, 7);
      assert.match(error.message, /flightdeck\.yaml:7:\d+: .*timeout/);
      assert.match(error.message, /flightdeck\.yaml:8:\d+: Unknown key `max`/);
      return true;
    });
    assert.throws(() => loadProjectFile(join(dir, 'nothing.yaml')), (error: unknown) => isFlightdeckError(error, 'NO_PROJECT'));
  });

  it('parses durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('5 minutes'), undefined);
    assert.equal(parseDuration(-1), undefined);
    assert.equal(parseDuration(1.5), undefined);
    assert.equal(parseDuration('0.0004s'), 0);
    // Said back in the largest unit that divides it, as the user would have written it.
    for (const text of ['7d', '36h', '90m', '45s', '1500ms']) assert.equal(formatDuration(parseDuration(text)!), text);
    assert.equal(formatDuration(parseDuration('1.5h')!), '90m');
  });
});
