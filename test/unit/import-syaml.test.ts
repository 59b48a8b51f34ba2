// `flightdeck import`: Serverless Devs s.yaml (edition 3.0.0 and the older `services` editions)
// → flightdeck.yaml, with references resolved and every unmappable thing a problem at its line;
// then the imported project deployed by the bundled CLI to a real platform and served over HTTP.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseProjectFile } from '../../src/config/projectFile';
import { importSYaml, readSYamlFile, writeSYamlImport } from '../../src/config/serverlessDevs';
import { isFlightdeckError } from '../../src/errors';
import { cliRepo, type CliRepo } from '../helpers/cliRepo';
import { REPO_ROOT } from '../helpers/platform';

const PROJECTS = join(REPO_ROOT, 'test', 'fixtures', 'projects');
const V3 = join(PROJECTS, 'sdevs-v3', 's.yaml');
const OLD = join(PROJECTS, 'sdevs-v2', 's.yaml');

const at = (problems: { line: number; message: string }[], line: number): string[] => problems.filter((p) => p.line === line).map((p) => p.message);

describe('s.yaml import', () => {
  it('edition 3.0.0: fc3 resources map to fc3 functions, vars/env/resources references resolved', () => {
    const result = importSYaml(readFileSync(V3, 'utf8'), V3, { SHOP_STAGE: 'dev' });
    assert.equal(result.project, 'shop-app');
    assert.deepEqual(result.functions.map((f) => [f.name, f.source]), [['shop-api', 'api'], ['web', 'web']]);
    assert.deepEqual(result.functions[0].definition, {
      runtime: 'nodejs',
      code: './code',
      handler: 'index.handler',
      events: 'fc3',
      memory: 256,
      timeout: '20s',
      instances: { concurrency: 5 },
      env: { GREETING: 'hello', STAGE: 'dev', PEER_HANDLER: 'index.handler', FC_REGION: 'cn-hangzhou' },
    });
    assert.deepEqual(result.functions[1].definition, {
      runtime: 'custom',
      code: './web',
      command: ['node', './server.js'],
      events: 'fc3',
      env: { FC_REGION: 'cn-hangzhou' },
    });
    // Each thing that did not map, at its own line of s.yaml.
    const { problems } = result;
    assert.match(at(problems, 16)[0], /"Shop_API" is named shop-api locally/);
    assert.match(at(problems, 17)[0], /`description`.*not imported/);
    assert.match(at(problems, 28)[0], /`role`.*not imported/);
    assert.match(at(problems, 34)[0], /methods \[GET, POST\]/);
    assert.match(at(problems, 46)[0], /Port 9000.*FC_SERVER_PORT/);
    assert.match(at(problems, 51)[0], /nightly not imported: runtime "python3\.10"/);
    assert.match(at(problems, 55)[0], /Trigger of type "timer" not imported/);
    assert.match(at(problems, 66)[0], /archive not imported: its code is an OSS object/);
    assert.match(at(problems, 69)[0], /component fc3-domain is not a function component/);
    assert.equal(problems.length, 9, JSON.stringify(problems, null, 1));
    // The written file says the same, and is a valid flightdeck.yaml.
    for (const p of problems) assert.ok(result.text.includes(`# s.yaml:${p.line}:${p.column}: ${p.message}`) || result.text.includes(`#   s.yaml:${p.line}:${p.column}: ${p.message}`));
    const parsed = parseProjectFile(result.text, join(PROJECTS, 'sdevs-v3', 'flightdeck.yaml'));
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.project?.functions[0].config.events, 'fc3');
    assert.equal(parsed.project?.functions[0].config.memoryMb, 256);
    assert.equal(parsed.project?.functions[0].config.timeoutMs, 20_000);
  });

  it('older editions: services with component fc, props.function and codeUri; ${env.X}', () => {
    const result = importSYaml(readFileSync(OLD, 'utf8'), OLD, { LEGACY_WHO: 'jane' });
    assert.deepEqual(result.functions.map((f) => f.name), ['hello']);
    assert.deepEqual(result.functions[0].definition, {
      runtime: 'nodejs',
      code: './src',
      handler: 'index.handler',
      events: 'fc3',
      memory: 128,
      timeout: '60s',
      env: { WHO: 'jane', FC_REGION: 'cn-shanghai' },
    });
    assert.deepEqual(result.problems.map((p) => [p.line, p.message.replace(/:.*/s, '')]), [
      [13, '`internetAccess` (fc service) has no local equivalent and is not imported.'],
      [27, 'authType "function"'],
      [29, 'methods [GET]'],
    ]);
  });

  it('unresolvable references, unset variables and cycles are problems at their line; defaults apply', () => {
    const text = [
      'edition: 3.0.0',
      'name: refs',
      'vars:',
      '  loop: ${vars.loop}',
      'resources:',
      '  a:',
      '    component: fc3',
      '    props:',
      '      functionName: a',
      '      runtime: nodejs20',
      '      code: ./code',
      '      handler: index.handler',
      '      environmentVariables:',
      "        WITH_DEFAULT: ${env('NOPE', 'fallback')}",
      "        UNSET: ${env('NOPE')}",
      '        OUTPUT: ${resources.b.output.url}',
      '        LOOP: ${vars.loop}',
      '        MIXED: "v=${vars.missing}!"',
    ].join('\n');
    const result = importSYaml(text, '/x/s.yaml', {});
    assert.deepEqual(result.functions[0].definition.env, { WITH_DEFAULT: 'fallback', UNSET: '', OUTPUT: '', LOOP: '', MIXED: 'v=!' });
    assert.match(at(result.problems, 15)[0], /environment variable NOPE is not set/);
    assert.match(at(result.problems, 16)[0], /resources\.b\.output\.url\} cannot be resolved/);
    assert.match(at(result.problems, 4).join(' '), /refers to itself/);
    assert.match(at(result.problems, 18)[0], /vars\.missing\} cannot be resolved/);
  });

  describe('writing flightdeck.yaml', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'flightdeck-import-'));
      cpSync(join(PROJECTS, 'sdevs-v3'), dir, { recursive: true });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('never replaces an existing flightdeck.yaml unless asked', () => {
      const target = join(dir, 'flightdeck.yaml');
      writeFileSync(target, 'project: mine\n');
      assert.throws(() => writeSYamlImport(readSYamlFile(join(dir, 's.yaml'), {}), join(dir, 's.yaml'), false), (e) => isFlightdeckError(e) && e.code === 'CONFLICT' && /--force/.test(e.message));
      assert.equal(readFileSync(target, 'utf8'), 'project: mine\n');
      const written = writeSYamlImport(readSYamlFile(join(dir, 's.yaml'), {}), join(dir, 's.yaml'), true);
      assert.equal(written.file, target);
      assert.match(readFileSync(target, 'utf8'), /shop-api:/);
    });

    it('refuses an s.yaml with nothing to run, listing why at each line', () => {
      const only = join(dir, 'python.yaml');
      writeFileSync(only, 'edition: 3.0.0\nname: py\nresources:\n  f:\n    component: fc3\n    props:\n      runtime: python3.10\n      code: ./code\n');
      assert.throws(() => writeSYamlImport(readSYamlFile(only, {}), only, false), (e) => isFlightdeckError(e) && e.code === 'CONFIG_INVALID' && /python\.yaml:7:16: .*python3\.10/.test(e.message));
    });
  });
});

describe('flightdeck import, then deploy and serve (bundled CLI, real platform)', { timeout: 120_000 }, () => {
  let cli: CliRepo;
  let repo: string;
  const run = (...args: string[]) => cli.run(args);

  before(() => {
    cli = cliRepo('flightdeck-sdevs-', 'main', {}, { SHOP_STAGE: 'local' });
    repo = cli.repo;
    cpSync(join(PROJECTS, 'sdevs-v3'), repo, { recursive: true });
    writeFileSync(join(repo, '.gitignore'), '.home/\n');
    cli.git('add', '-A');
    cli.git('commit', '-q', '-m', 'fc project');
  });

  after(() => cli.dispose());

  it('imports s.yaml, refuses to overwrite, then the project deploys and both functions answer', async () => {
    const imported = await run('import');
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /2 function\(s\): shop-api, web/);
    assert.match(imported.stdout, /s\.yaml:51:16: Function nightly not imported/);
    assert.ok(existsSync(join(repo, 'flightdeck.yaml')));
    const again = await run('import', 's.yaml');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists.*--force/);
    assert.equal((await run('import', '--force')).code, 0);

    const deployed = await run('deploy', '--json');
    assert.equal(deployed.code, 0, deployed.stderr);
    const result = JSON.parse(deployed.stdout) as { functions: { function: string; url: string }[] };
    const urls = Object.fromEntries(result.functions.map((f) => [f.function, f.url]));
    const api = await fetch(new URL('orders', urls['shop-api']));
    assert.equal(api.status, 200);
    assert.deepEqual(await api.json(), { greeting: 'hello', stage: 'local', peer: 'index.handler', path: '/orders', fn: 'shop-api', memory: 256, region: 'cn-hangzhou' });
    const web = await fetch(new URL('page', urls.web));
    assert.equal(await web.text(), 'web /page web');
  });
});
