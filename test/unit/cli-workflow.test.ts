// Branch environments from the shell, in a real git repository with a real remote: env create,
import { execFileSync } from 'node:child_process';
// delete (protected needs --confirm) and prune (merged / branch gone / idle), invoke, logs and
// rollback with every way of naming a version, the function commands' default environment, the platform's lastDeploy/lastRequest, and bash
// and zsh completion through the scripts `flightdeck completion bash|zsh` print (zsh: TAB pressed in an interactive zsh).
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Environment } from '../../src/model';
import { CliSandbox, handler } from '../helpers/cliSandbox';
import { RunningCli } from '../helpers/runningCli';

const PROJECT = `project: shop
functions:
  api: { runtime: nodejs, code: ./api, handler: index.handler }
  web: { runtime: nodejs, code: ./web, handler: index.handler }
environments:
  production: { kind: production, protected: true }
  staging: { kind: staging }
personal:
  ttl: 7d
`;

describe('branch environments from the CLI', () => {
  let box: CliSandbox;
  const envs = async () => (await box.json<{ environments: Environment[] }>('envs')).environments;
  const envNamed = async (name: string) => (await envs()).find((e) => e.name === name);
  /** git in another repository of the test (a colleague's clone, a bare remote); an interactive rebase stops at its first commit. */
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...box.env, GIT_SEQUENCE_EDITOR: "sed -i '1s/^pick/edit/'" }, stdio: 'pipe' }).toString().trim();
  /** A bare repository `origin.git` in a new folder `name` under the sandbox, on `branch`, and a clone of it. */
  const remoteAndClone = (name: string, branch: string, clone: string) => {
    const root = join(box.root, name);
    mkdirSync(root);
    git(root, 'init', '-q', '--bare', '-b', branch, join(root, 'origin.git'));
    git(root, 'clone', '-q', join(root, 'origin.git'), join(root, clone));
    return { root, origin: join(root, 'origin.git'), clone: join(root, clone) };
  };

  before(() => {
    box = new CliSandbox({ 'flightdeck.yaml': PROJECT, 'api/index.js': handler('api one'), 'web/index.js': handler('web one'), '.gitignore': 'deploy.txt\n' });
  });
  after(() => box.stop());

  it('deploys a branch, stamps lastDeploy and lastRequest, and invoke prints status, version and body', async () => {
    box.git('switch', '-q', '-c', 'feature/login');
    const deployed = await box.ok('deploy');
    // Proved to start, not yet asked for anything: the summary says started, not unknown.
    assert.match(deployed, /^api +v1 +1 file\(s\), \d+ B sent +started +http:/m);
    const env = await envNamed('jane-feature-login');
    assert.equal(env?.branch, 'feature/login');
    assert.ok(env?.lastDeploy && Date.parse(env.lastDeploy) >= Date.parse(env.created), 'lastDeploy is stamped');
    assert.equal(env?.lastRequest, undefined);
    const out = await box.ok('invoke', '--function', 'api');
    assert.match(out, /^200 OK from v1\napi one/);
    const after = await envNamed('jane-feature-login');
    assert.ok(after?.lastRequest && after.lastRequest >= after.lastDeploy!, 'lastRequest is stamped by the gateway');
  });

  it('names versions as latest, previous, 2, v2 and "2", and rollback returns live to the one before', async () => {
    box.write({ 'api/index.js': handler('api two') });
    box.commit('api two');
    await box.ok('deploy', '--function', 'api');
    for (const [ref, body] of [['latest', 'api two'], ['previous', 'api one'], ['2', 'api two'], ['v1', 'api one']]) {
      assert.match(await box.ok('invoke', '--function', 'api', '--version', ref), new RegExp(`from v${body.endsWith('two') ? 2 : 1}\\n${body}`), ref);
    }
    const bad = await box.run(['invoke', '--function', 'api', '--version', 'newest']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--version must be a version number \(12 or v12\), latest or previous, not "newest"/);
    // A version or alias that does not exist is an error, not the platform's 404 printed as the function's answer.
    for (const target of [['--version', '9'], ['--alias', 'beta']]) {
      const missing = await box.run(['invoke', '--function', 'api', ...target]);
      assert.equal(missing.code, 1, target.join(' '));
      assert.match(missing.stderr, target[0] === '--version' ? /Version 9 of jane-feature-login\/api does not exist/ : /beta/);
      assert.equal(missing.stdout, '');
    }
    const posted = JSON.parse(await box.ok('invoke', '--function', 'api', '--data', 'hello', '--json'));
    assert.deepEqual([posted.status, posted.version, posted.body], [200, 2, 'api two']);
    assert.match(await box.ok('rollback', '--function', 'api'), /live → v1 100%/);
    assert.match(await box.ok('invoke', '--function', 'api'), /from v1\napi one/);
    assert.match(await box.ok('promote', '--env', 'jane-feature-login', '--function', 'api', '--version', 'latest'), /live → v2 100%/);
    const noFunction = await box.run(['invoke']);
    assert.equal(noFunction.code, 2, 'a usage error');
    assert.match(noFunction.stderr, /Pass --function NAME: there are 2 \(api, web\)/);
    const typo = await box.run(['invoke', '--function', 'apy']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /No function "apy" in jane-feature-login \(it has api, web\), and .*flightdeck\.yaml declares api, web\./);
  });

  it('logs prints what the function wrote, for one version', async () => {
    const lines = (await box.ok('logs', '--function', 'api', '--version', '1')).trim().split('\n');
    assert.ok(lines.length > 0 && lines.every((l) => / v1 .*served api one$/.test(l)), lines.join('\n'));
    assert.match(await box.ok('logs', '--function', 'api'), /served api two/);
    const missing = await box.run(['logs', '--function', 'api', '--version', 'v9']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Version 9 of jane-feature-login\/api does not exist/);
  });

  it('logs --follow prints lines as they come and stops, saying why, when its environment is deleted', async () => {
    await box.ok('env', 'create', 'scratch');
    await box.ok('deploy', '--env', 'scratch', '--function', 'api');
    const follow = new RunningCli(['logs', '--follow', '--tail', '0', '--env', 'scratch', '--function', 'api'], { cwd: box.repo, env: box.env });
    try {
      // --tail 0: a line shown was written while it followed.
      for (let i = 0; i < 60 && !follow.stdout.includes('served api'); i++) {
        await box.ok('invoke', '--env', 'scratch', '--function', 'api');
        await sleep(250);
      }
      assert.match(follow.stdout, / v1 .*served api/);
      await box.ok('env', 'delete', 'scratch');
      assert.equal(await follow.exitWithin(20_000), 1);
      assert.match(follow.stderr, /Stopped following scratch\/api: Environment "scratch" does not exist/);
    } finally {
      await follow.stop();
    }
  });

  it("every command that acts on a function finds the branch's environment without --env", async () => {
    assert.match(await box.ok('versions', '--function', 'api'), /^VERSION[^\n]*\nv2 [^\n]*feature\/login/);
    assert.match(await box.ok('url', '--function', 'api', '--version', 'previous'), /\/fn\/jane-feature-login\/api:1\/$/m);
    assert.match(await box.ok('canary', '--function', 'api', '--version', '1', '--weight', '10'), /live → v2 90% · v1 10%/);
    assert.match(await box.ok('promote', '--function', 'api', '--version', 'latest'), /live → v2 100%/);
    const status = await box.run(['rollout', 'status', '--function', 'api']);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /jane-feature-login\/api has never had a rollout/);
    const elsewhere = await box.run(['versions', '--function', 'api', '--config', '/nowhere/flightdeck.yaml']);
    assert.notEqual(elsewhere.code, 0);
  });

  it('env create and delete follow the editor\'s rules: a protected environment needs --confirm <name>', async () => {
    const created = JSON.parse(await box.ok('env', 'create', '--env', 'production', '--json'));
    assert.deepEqual([created.kind, created.protected], ['production', true]);
    const refused = await box.run(['env', 'delete', '--env', 'production']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /production is a protected production environment: pass --confirm production/);
    const wrong = await box.run(['env', 'delete', '--env', 'production', '--confirm', 'staging']);
    assert.equal(wrong.code, 2);
    assert.ok(await envNamed('production'));
    await box.ok('env', 'delete', '--env', 'production', '--confirm', 'production');
    assert.equal(await envNamed('production'), undefined);
    // The name may also come as the argument, as `flightdeck env create qa` reads.
    assert.match(await box.ok('env', 'create', 'qa', '--kind', 'staging', '--protected'), /Created qa \(staging, protected\)/);
    const unconfirmed = await box.run(['env', 'delete', 'qa']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /qa is a protected staging environment: pass --confirm qa/);
    const twoNames = await box.run(['env', 'delete', 'qa', '--env', 'staging', '--confirm', 'qa']);
    assert.equal(twoNames.code, 2);
    assert.match(twoNames.stderr, /Two environments named: qa and --env staging/);
    await box.ok('env', 'delete', 'qa', '--confirm', 'qa');
    assert.equal(await envNamed('qa'), undefined);
    assert.match(await box.ok('env', 'create', '--branch', 'feature/x', '--user', 'ci'), /Created ci-feature-x \(personal, branch feature\/x\)/);
    await box.ok('env', 'delete', '--branch', 'feature/x', '--user', 'ci');
    assert.equal(await envNamed('ci-feature-x'), undefined);
    assert.match(await box.ok('env', 'delete', '--env', 'ci-feature-x', '--missing-ok'), /does not exist; nothing to delete/);
  });

  it('a branch environment is found by branch and project, never by name alone: deleting one branch leaves another that shares its name', async () => {
    // What the pipeline does: CI deploys feature/x and feature-x (one name, ci-feature-x), then feature-x is deleted.
    await box.ok('deploy', '--branch', 'feature/x', '--user', 'ci', '--function', 'api');
    const second = await box.run(['deploy', '--branch', 'feature-x', '--user', 'ci', '--function', 'api']);
    assert.equal(second.code, 0, second.stderr);
    const twin = /\/fn\/(ci-feature-x-[0-9a-f]{6})\/api\//.exec(second.stdout)?.[1];
    assert.ok(twin, second.stdout);
    assert.match(second.stdout + second.stderr, /"ci-feature-x" belongs to branch feature\/x, so this branch deploys to "ci-feature-x-[0-9a-f]{6}"/);
    // The commands that default to the checked-out branch's environment find the twin too.
    const before = box.git('branch', '--show-current').trim();
    box.git('switch', '-q', '-c', 'feature/y');
    await box.ok('deploy', '--function', 'api');
    box.git('switch', '-q', '-c', 'feature-y');
    const mine = /\/fn\/(jane-feature-y-[0-9a-f]{6})\/api\//.exec(await box.ok('deploy', '--function', 'api'))?.[1];
    assert.ok(mine);
    assert.match((await box.ok('url', '--function', 'api')).trim(), new RegExp(`/fn/${mine}/api/$`));
    assert.match(await box.ok('invoke', '--function', 'api'), /^200 OK from v1\n/);
    box.git('switch', '-q', before);
    await box.ok('env', 'delete', '--branch', 'feature-y');
    await box.ok('env', 'delete', '--branch', 'feature/y');
    assert.match(await box.ok('env', 'delete', '--branch', 'feature-x', '--user', 'ci', '--missing-ok'), new RegExp(`Deleted ${twin} \\(personal, branch feature-x\\)`));
    assert.equal((await envNamed('ci-feature-x'))?.branch, 'feature/x', 'the other branch keeps its environment');
    assert.match(await box.ok('env', 'delete', '--branch', 'feature-x', '--user', 'ci', '--missing-ok'),
      /Branch feature-x has no environment \("ci-feature-x" belongs to branch feature\/x\); nothing to delete/);
    const refused = await box.run(['env', 'delete', '--branch', 'feature-x', '--user', 'ci']);
    assert.equal(refused.code, 1);
    assert.equal((await envNamed('ci-feature-x'))?.branch, 'feature/x');
    // Another project's feature/x on the same platform gets a name of its own, and deletes only that.
    const billing = join(box.root, 'billing-ci');
    mkdirSync(join(billing, 'pay'), { recursive: true });
    writeFileSync(join(billing, 'pay', 'index.js'), handler('pay'));
    writeFileSync(join(billing, 'flightdeck.yaml'), 'project: billing\nfunctions:\n  pay: { runtime: nodejs, code: ./pay, handler: index.handler }\n');
    const config = ['--config', join(billing, 'flightdeck.yaml')];
    const created = await box.ok('env', 'create', '--branch', 'feature/x', '--user', 'ci', ...config);
    assert.match(created, /Created ci-feature-x-[0-9a-f]{6} \(personal, branch feature\/x\)\. "ci-feature-x" belongs to branch feature\/x of project shop/);
    const again = await box.run(['env', 'create', '--branch', 'feature/x', '--user', 'ci', ...config]);
    assert.match(again.stderr, /Branch feature\/x already has its environment ci-feature-x-[0-9a-f]{6}/);
    await box.ok('env', 'delete', '--branch', 'feature/x', '--user', 'ci', ...config);
    assert.equal((await envNamed('ci-feature-x'))?.project, 'shop');
    await box.ok('env', 'delete', '--branch', 'feature/x', '--user', 'ci');
    assert.equal((await envs()).some((e) => e.name.startsWith('ci-feature-x')), false);
  });

  it('env prune deletes the environments of merged and deleted branches, never shared or unfinished ones', async () => {
    box.git('push', '-q', '-u', 'origin', 'feature/login');
    // merged: a branch with a commit, merged into main and pushed
    box.git('switch', '-q', '-c', 'feature/merged', 'main');
    box.write({ 'api/index.js': handler('merged') });
    box.commit('merged work');
    await box.ok('deploy');
    box.git('push', '-q', '-u', 'origin', 'feature/merged');
    box.git('switch', '-q', 'main');
    box.git('merge', '-q', '--no-ff', '-m', 'merge', 'feature/merged');
    box.git('push', '-q', 'origin', 'main');
    // gone: pushed, then deleted on the remote by someone else
    box.git('switch', '-q', '-c', 'feature/gone', 'main');
    box.write({ 'web/index.js': handler('gone') });
    box.commit('gone work');
    await box.ok('deploy');
    box.git('push', '-q', '-u', 'origin', 'feature/gone');
    box.git('push', '-q', 'origin', '--delete', 'feature/gone');
    // a shared environment and a local branch never pushed
    await box.ok('deploy', '--env', 'staging');
    box.git('switch', '-q', '-c', 'feature/local', 'main');
    box.write({ 'web/index.js': handler('local') });
    box.commit('local work');
    await box.ok('deploy');
    // Another project on the same platform, from another repository: its branch exists nowhere here.
    const billing = join(box.root, 'billing');
    mkdirSync(join(billing, 'pay'), { recursive: true });
    writeFileSync(join(billing, 'flightdeck.yaml'), 'project: billing\nfunctions:\n  pay: { runtime: nodejs, code: ./pay, handler: index.handler }\n');
    await box.ok('env', 'create', '--branch', 'feature/pay', '--user', 'bob', '--config', join(billing, 'flightdeck.yaml'));
    assert.deepEqual([(await envNamed('bob-feature-pay'))?.project, (await envNamed('jane-feature-gone'))?.project], ['billing', 'shop']);

    const dry = await box.ok('env', 'prune', '--dry-run');
    assert.match(dry, /jane-feature-merged\s+feature\/merged\s+merged into main/);
    assert.match(dry, /jane-feature-gone\s+feature\/gone\s+branch gone from origin/);
    for (const kept of ['jane-feature-login', 'jane-feature-local', 'staging', 'bob-feature-pay']) assert.doesNotMatch(dry, new RegExp(kept));
    assert.equal((await envs()).length, 6, 'a dry run deletes nothing');

    const notTerminal = await box.run(['env', 'prune', '--merged']);
    assert.equal(notTerminal.code, 2);
    assert.match(notTerminal.stderr, /pass --yes/);

    const merged = await box.ok('env', 'prune', '--merged', '--yes');
    assert.match(merged, /Deleted 1 environment/);
    const gone = JSON.parse(await box.ok('env', 'prune', '--gone', '--yes', '--json'));
    assert.deepEqual(gone.stale.map((s: { environment: string; reasons: { kind: string }[]; deleted: boolean }) => [s.environment, s.reasons[0].kind, s.deleted]),
      [['jane-feature-gone', 'gone', true]]);
    assert.deepEqual((await envs()).map((e) => e.name).sort(), ['bob-feature-pay', 'jane-feature-local', 'jane-feature-login', 'staging']);
    await box.ok('env', 'delete', 'bob-feature-pay');
  });

  it('env prune --idle counts from the last deploy or request', async () => {
    await sleep(8000);
    await box.ok('invoke', '--env', 'jane-feature-login', '--function', 'api');
    const idle = await box.ok('env', 'prune', '--idle', '6s', '--dry-run');
    assert.match(idle, /jane-feature-local\s+feature\/local\s+idle \d+ (s|min)/);
    assert.doesNotMatch(idle, /jane-feature-login|staging/);
    for (const idle of ['soon', '0d']) {
      const bad = await box.run(['env', 'prune', '--idle', idle]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, new RegExp(`--idle must be a duration above zero, like 7d, 48h or 90m, not "${idle}"`));
    }
  });

  it('env prune --merged finds branches landed by squash and by rebase merges, as the merge buttons of GitHub and GitLab land them', async () => {
    const work = (branch: string, file: string, texts: string[]) => {
      box.git('switch', '-q', '-c', branch, 'main');
      for (const text of texts) {
        box.write({ [file]: handler(text) });
        box.commit(text);
      }
    };
    // squashed: two commits landed as one new commit on main, then main moved on
    work('feature/squashed', 'api/index.js', ['squash one', 'squash two']);
    await box.ok('deploy', '--function', 'api');
    box.git('push', '-q', '-u', 'origin', 'feature/squashed');
    box.git('switch', '-q', 'main');
    box.git('merge', '-q', '--squash', 'feature/squashed');
    box.commit('Squashed feature (#12)');
    box.write({ 'README.md': 'main moved on\n' });
    box.commit('main moved on');
    // rebased: its commits copied onto a main that had moved on, as new commits
    work('feature/rebased', 'web/index.js', ['rebase one', 'rebase two']);
    await box.ok('deploy', '--function', 'web');
    box.git('switch', '-q', 'main');
    box.write({ 'NOTES.md': 'main moved again\n' });
    box.commit('main moved again');
    box.git('switch', '-q', '-c', 'landing', 'feature/rebased');
    box.git('rebase', '-q', 'main');
    box.git('switch', '-q', 'main');
    box.git('merge', '-q', '--ff-only', 'landing');
    box.git('branch', '-q', '-D', 'landing');
    // open: one of its two commits cherry-picked to main, the other not: not merged
    work('feature/open', 'web/index.js', ['open one', 'open two']);
    await box.ok('deploy', '--function', 'web');
    const firstOpen = box.git('rev-parse', 'HEAD~1').trim();
    box.git('switch', '-q', 'main');
    box.git('cherry-pick', firstOpen);
    box.git('push', '-q', 'origin', 'main');

    const dry = await box.ok('env', 'prune', '--merged', '--dry-run');
    assert.match(dry, /jane-feature-squashed\s+feature\/squashed\s+squash-merged into main/);
    assert.match(dry, /jane-feature-rebased\s+feature\/rebased\s+rebase-merged into main/);
    assert.doesNotMatch(dry, /jane-feature-open/);
    const pruned = JSON.parse(await box.ok('env', 'prune', '--merged', '--yes', '--json'));
    assert.deepEqual(pruned.stale.map((s: { environment: string; reasons: { how: string }[] }) => [s.environment, s.reasons[0].how]).sort(),
      [['jane-feature-rebased', 'rebase'], ['jane-feature-squashed', 'squash']]);
    assert.ok(await envNamed('jane-feature-open'), 'the unfinished branch keeps its environment');
  });

  it('env prune asks the remote: a branch made from origin/main is not gone, and one with newer work (here, or pushed since the last fetch) is not merged', async () => {
    box.git('fetch', '-q');
    // made from origin/main, so it tracks main; never pushed
    box.git('switch', '-q', '-c', 'feature/from-origin', 'origin/main');
    box.write({ 'api/index.js': handler('from origin') });
    box.commit('from origin');
    await box.ok('deploy', '--function', 'api');
    // merged, then more work on it here
    const mergedThenMore = (branch: string) => {
      box.git('switch', '-q', '-c', branch, 'main');
      box.write({ [`${branch}.txt`]: 'one\n' });
      box.commit(`${branch} one`);
      box.git('push', '-q', '-u', 'origin', branch);
      box.git('switch', '-q', 'main');
      box.git('merge', '-q', '--no-ff', '-m', `merge ${branch}`, branch);
      box.git('push', '-q', 'origin', 'main');
    };
    mergedThenMore('feature/follow-up');
    box.git('switch', '-q', 'feature/follow-up');
    box.write({ 'api/index.js': handler('follow-up') });
    box.commit('follow-up');
    await box.ok('deploy', '--function', 'api');
    // merged, then a colleague pushed more to it; here, only the tracking ref of the merged tip
    mergedThenMore('feature/colleague');
    box.git('branch', '-q', '-D', 'feature/colleague');
    await box.ok('env', 'create', '--branch', 'feature/colleague', '--user', 'dave');
    const colleague = join(box.root, 'colleague');
    execFileSync('git', ['clone', '-q', '--branch', 'feature/colleague', box.origin, colleague], { env: box.env });
    writeFileSync(join(colleague, 'more.txt'), 'more\n');
    execFileSync('git', ['-C', colleague, 'add', '-A'], { env: box.env });
    execFileSync('git', ['-C', colleague, 'commit', '-q', '-m', 'more'], { env: box.env });
    execFileSync('git', ['-C', colleague, 'push', '-q'], { env: box.env });
    box.git('switch', '-q', 'main');

    const dry = await box.ok('env', 'prune', '--dry-run');
    for (const kept of ['jane-feature-from-origin', 'jane-feature-follow-up', 'dave-feature-colleague']) assert.doesNotMatch(dry, new RegExp(kept));
    // Once merged again, each is.
    box.git('merge', '-q', '--no-ff', '-m', 'merge follow-up', 'feature/follow-up');
    box.git('pull', '-q', '--no-rebase', '--no-edit', 'origin', 'feature/colleague');
    box.git('push', '-q', 'origin', 'main');
    const again = await box.ok('env', 'prune', '--merged', '--dry-run');
    assert.match(again, /jane-feature-follow-up\s+feature\/follow-up\s+merged into main/);
    assert.match(again, /dave-feature-colleague\s+feature\/colleague\s+merged into main/);
    // Two prunes at once: each deletes what the other has not, and neither fails.
    const both = await Promise.all([box.run(['env', 'prune', '--merged', '--yes']), box.run(['env', 'prune', '--merged', '--yes'])]);
    assert.deepEqual(both.map((r) => r.code), [0, 0], both.map((r) => r.stderr).join('\n'));
    for (const name of ['jane-feature-follow-up', 'dave-feature-colleague']) assert.equal(await envNamed(name), undefined);
    assert.ok(await envNamed('jane-feature-from-origin'));
  });

  it('env prune says what it cannot check: no remote for --gone, no project without flightdeck.yaml', async () => {
    const solo = join(box.root, 'solo');
    mkdirSync(join(solo, 'api'), { recursive: true });
    writeFileSync(join(solo, 'flightdeck.yaml'), 'project: solo\nfunctions:\n  api: { runtime: nodejs, code: ./api, handler: index.handler }\n');
    execFileSync('git', ['init', '-q', '-b', 'main', solo]);
    execFileSync('git', ['-C', solo, 'add', '-A'], { env: box.env });
    execFileSync('git', ['-C', solo, 'commit', '-q', '-m', 'first'], { env: box.env });
    const gone = await box.run(['env', 'prune', '--gone', '--dry-run', '--config', join(solo, 'flightdeck.yaml')]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No remote to ask whether branches are gone: the repository has no remote/);
    assert.match(await box.ok('env', 'prune', '--dry-run', '--config', join(solo, 'flightdeck.yaml')), /checked: merged\)/);
    const nowhere = await box.shell('flightdeck env prune --dry-run', {}, box.root);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /flightdeck\.yaml/);
    // Outside any repository only the idle check is left: prune does that, and says so.
    const loose = join(box.root, 'loose');
    mkdirSync(join(loose, 'api'), { recursive: true });
    writeFileSync(join(loose, 'flightdeck.yaml'), 'project: loose\npersonal: { ttl: 7d }\nfunctions:\n  api: { runtime: nodejs, code: ./api, handler: index.handler }\n');
    assert.match(await box.ok('env', 'prune', '--dry-run', '--config', join(loose, 'flightdeck.yaml')), /checked: idle over 7 ?d/);
    const merged = await box.run(['env', 'prune', '--merged', '--dry-run', '--config', join(loose, 'flightdeck.yaml')]);
    assert.equal(merged.code, 1);
    assert.match(merged.stderr, /is not in a git repository/);
    // Remotes not called origin: the one the checked-out branch tracks; with none to go by, gone is not judged.
    const forked = join(box.root, 'forked');
    execFileSync('git', ['clone', '-q', '-o', 'upstream', box.origin, forked], { env: box.env });
    execFileSync('git', ['init', '-q', '--bare', join(box.root, 'afork.git')]);
    execFileSync('git', ['-C', forked, 'remote', 'add', 'afork', join(box.root, 'afork.git')]);
    await box.ok('env', 'create', '--branch', 'feature/login', '--user', 'ci');
    const onUpstream = await box.shell('flightdeck env prune --gone --dry-run', {}, forked);
    assert.equal(onUpstream.code, 0, onUpstream.stderr);
    assert.doesNotMatch(onUpstream.stdout, /ci-feature-login/);
    execFileSync('git', ['-C', forked, 'switch', '-q', '--detach']);
    const unsure = await box.shell('flightdeck env prune --gone --dry-run', {}, forked);
    assert.equal(unsure.code, 1);
    assert.match(unsure.stderr, /it has several remotes \(afork, upstream\) and none is origin/);
    await box.ok('env', 'delete', 'ci-feature-login');
    // A repository with no commits yet says that, not how to name its default branch.
    execFileSync('git', ['init', '-q', '-b', 'main', loose]);
    const empty = await box.run(['env', 'prune', '--merged', '--dry-run', '--config', join(loose, 'flightdeck.yaml')]);
    assert.match(empty.stderr, /has no commits yet: commit first/);
  });

  it('env prune finds the default branch from the remote when the clone does not know it, and leaves branches checked out in other worktrees and environments flightdeck.yaml protects', async () => {
    const origin = join(box.root, 'trunk.git');
    const seed = join(box.root, 'trunk-seed');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'trunk', origin]);
    mkdirSync(join(seed, 'api'), { recursive: true });
    writeFileSync(join(seed, 'flightdeck.yaml'), 'project: trunk\nenvironments:\n  demo: { kind: personal, protected: true }\nfunctions:\n  api: { runtime: nodejs, code: ./api, handler: index.handler }\n');
    writeFileSync(join(seed, 'api/index.js'), handler('trunk'));
    git(box.root, 'init', '-q', '-b', 'trunk', seed);
    git(seed, 'add', '-A');
    git(seed, 'commit', '-q', '-m', 'first');
    // An old local main the default branch is not.
    git(seed, 'branch', 'main');
    git(seed, 'remote', 'add', 'origin', origin);
    git(seed, 'push', '-q', 'origin', 'trunk');
    for (const branch of ['h1', 'h2']) {
      git(seed, 'switch', '-q', '-c', branch, 'trunk');
      writeFileSync(join(seed, `${branch}.txt`), `${branch}\n`);
      git(seed, 'add', '-A');
      git(seed, 'commit', '-q', '-m', branch);
      git(seed, 'push', '-q', '-u', 'origin', branch);
      git(seed, 'switch', '-q', 'trunk');
      git(seed, 'merge', '-q', '--no-ff', '-m', `merge ${branch}`, branch);
      await box.ok('env', 'create', '--branch', branch, '--user', 'jane', '--config', join(seed, 'flightdeck.yaml'));
    }
    git(seed, 'push', '-q', 'origin', 'trunk');
    assert.throws(() => git(seed, 'symbolic-ref', 'refs/remotes/origin/HEAD'), 'the clone knows no remote HEAD');
    // h2 is checked out in another worktree; demo was made before flightdeck.yaml protected it.
    git(seed, 'worktree', 'add', '-q', join(box.root, 'trunk-h2'), 'h2');
    const before = join(box.root, 'trunk-before.yaml');
    writeFileSync(before, 'project: trunk\nfunctions:\n  api: { runtime: nodejs, code: ./trunk-seed/api, handler: index.handler }\n');
    await box.ok('env', 'create', 'demo', '--kind', 'personal', '--config', before);
    assert.equal((await envNamed('demo'))?.protected, false);
    const dry = await box.shell(`flightdeck env prune --dry-run --merged --idle 1ms --config ${join(seed, 'flightdeck.yaml')}`, {}, seed);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /jane-h1\s+h1\s+merged into trunk/);
    // h2 only idle (git's merge says nothing of a branch someone has checked out); demo not at all.
    assert.match(dry.stdout, /jane-h2\s+h2\s+idle \d+ s\n/);
    assert.doesNotMatch(dry.stdout, /demo/);
    const refused = await box.shell(`flightdeck env delete demo --config ${join(seed, 'flightdeck.yaml')}`, {}, seed);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /pass --confirm demo/);
    await box.ok('env', 'delete', 'demo', '--confirm', 'demo');
    for (const branch of ['h1', 'h2']) await box.ok('env', 'delete', `jane-${branch}`);
  });

  it('env prune with a team\'s histories: names pushed under other names, colleagues\' branches, work after a merge, whitespace, a renamed or rewritten default branch, an unbuilt code folder', async () => {
    const { root: team, origin, clone: alice } = remoteAndClone('team', 'master', 'alice');
    const bob = join(team, 'bob');
    // The code folder is a build's output, not in the repository.
    const project = 'project: team\nfunctions:\n  api: { runtime: nodejs, code: ./dist, handler: index.handler }\n';
    writeFileSync(join(alice, 'flightdeck.yaml'), project);
    writeFileSync(join(alice, 'app.py'), 'def f():\n    return 1\n');
    git(alice, 'add', '-A');
    git(alice, 'commit', '-q', '-m', 'first');
    git(alice, 'push', '-q', 'origin', 'master');
    git(alice, 'remote', 'set-head', 'origin', 'master');
    git(team, 'clone', '-q', origin, bob);
    const work = (cwd: string, branch: string, from: string, file: string, text: string) => {
      git(cwd, 'switch', '-q', '-c', branch, from);
      writeFileSync(join(cwd, file), text);
      git(cwd, 'add', '-A');
      git(cwd, 'commit', '-q', '-m', `${branch}: ${file}`);
    };
    const commitOn = (cwd: string, file: string, text: string) => {
      writeFileSync(join(cwd, file), text);
      git(cwd, 'add', '-A');
      git(cwd, 'commit', '-q', '-m', file);
    };
    const env = (branch: string, user = 'jane') => box.ok('env', 'create', '--branch', branch, '--user', user, '--config', join(alice, 'flightdeck.yaml'));
    // renamed: pushed as another name, merged by bob, who then pushes more to that name
    work(alice, 'renamed', 'master', 'r.txt', 'r\n');
    git(alice, 'push', '-q', '-u', 'origin', 'renamed:other-name');
    await env('renamed');
    // started-from: alice's branch from bob's, with work of her own never pushed; bob's is merged and deleted
    work(bob, 'theirs', 'master', 't.txt', 't\n');
    git(bob, 'push', '-q', '-u', 'origin', 'theirs');
    git(alice, 'fetch', '-q');
    work(alice, 'started-from', 'origin/theirs', 'mine.txt', 'mine\n');
    await env('started-from');
    // again: merged, deleted on the remote (a fetch that does not prune), then more work here
    work(alice, 'again', 'master', 'a.txt', 'a\n');
    git(alice, 'push', '-q', '-u', 'origin', 'again');
    await env('again');
    // spaces: squash-merged, then a commit that only re-indents (it changes what the code does)
    work(alice, 'spaces', 'master', 'app.py', 'def f():\n    if x:\n        return 1\n    return 2\n');
    git(alice, 'push', '-q', '-u', 'origin', 'spaces');
    await env('spaces');
    // live: a colleague's branch of a name alice once pushed elsewhere and which is gone there
    work(alice, 'live', 'master', 'l.txt', 'l\n');
    git(alice, 'push', '-q', '-u', 'origin', 'live:alice-live');
    work(bob, 'live', 'master', 'b.txt', 'b\n');
    git(bob, 'push', '-q', '-u', 'origin', 'live');
    await env('live', 'ci');
    // Bob merges and cleans up; then the default branch is renamed to main.
    git(bob, 'switch', '-q', 'master');
    git(bob, 'fetch', '-q');
    for (const branch of ['other-name', 'theirs', 'again', 'alice-live']) git(bob, 'merge', '-q', '--no-ff', '-m', `merge ${branch}`, `origin/${branch}`);
    git(bob, 'merge', '-q', '--squash', 'origin/spaces');
    git(bob, 'commit', '-q', '-m', 'spaces (squashed)');
    git(bob, 'push', '-q', 'origin', 'master');
    git(bob, 'push', '-q', 'origin', '--delete', 'theirs', 'again', 'alice-live');
    git(bob, 'switch', '-q', '-c', 'other-name', 'origin/other-name');
    commitOn(bob, 'more.txt', 'more\n');
    git(bob, 'push', '-q', 'origin', 'other-name');
    git(bob, 'branch', '-q', '-m', 'master', 'main');
    git(bob, 'push', '-q', 'origin', 'main');
    git(origin, 'symbolic-ref', 'HEAD', 'refs/heads/main');
    git(origin, 'branch', '-q', '-D', 'master');
    git(alice, 'fetch', '-q');
    git(alice, 'switch', '-q', 'again');
    commitOn(alice, 'a2.txt', 'after the merge\n');
    git(alice, 'switch', '-q', 'spaces');
    commitOn(alice, 'app.py', 'def f():\n    if x:\n        return 1\n        return 2\n');
    git(alice, 'push', '-q', 'origin', 'spaces');
    git(alice, 'switch', '-q', '--detach');
    assert.equal(git(alice, 'symbolic-ref', 'refs/remotes/origin/HEAD'), 'refs/remotes/origin/master', 'the clone still thinks master is the default');

    const prune = async (...args: string[]) => {
      const result = await box.shell(`flightdeck env prune --dry-run ${args.join(' ')}`, {}, alice);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    assert.match(await prune(), /No stale personal environments/, 'none of them is finished');
    // Once each is: bob merges other-name's new work, and the rest land on main.
    git(bob, 'switch', '-q', 'main');
    git(bob, 'merge', '-q', '--no-ff', '-m', 'merge other-name again', 'other-name');
    git(bob, 'push', '-q', 'origin', 'main');
    git(alice, 'fetch', '-q');
    assert.match(await prune('--merged'), /jane-renamed\s+renamed\s+merged into main/);
    // Main rewritten without that merge (a force push): the remote's main is what counts.
    git(bob, 'reset', '-q', '--hard', 'HEAD~1');
    git(bob, 'push', '-q', '--force', 'origin', 'main');
    assert.doesNotMatch(await prune('--merged'), /jane-renamed/);
    // The environments of branches whose code folder a build would make can still be deleted.
    await box.ok('env', 'delete', '--branch', 'live', '--user', 'ci', '--config', join(alice, 'flightdeck.yaml'));
    for (const name of ['jane-renamed', 'jane-started-from', 'jane-again', 'jane-spaces']) await box.ok('env', 'delete', name);
  });

  it('env prune, more histories: an early cherry-pick then a re-indent, a fork with newer work, a rebase under way, an unborn remote HEAD, a revert relanded', async () => {
    const { root, origin, clone: dev } = remoteAndClone('more', 'main', 'dev');
    const fork = join(root, 'fork.git');
    git(root, 'init', '-q', '--bare', '-b', 'main', fork);
    writeFileSync(join(dev, 'flightdeck.yaml'), 'project: more\nfunctions:\n  api: { runtime: nodejs, code: ./api, handler: index.handler }\n');
    const commit = (file: string, text: string, message = file) => {
      writeFileSync(join(dev, file), text);
      git(dev, 'add', '-A');
      git(dev, 'commit', '-q', '-m', message);
    };
    commit('README.md', 'more\n');
    git(dev, 'push', '-q', 'origin', 'main');
    git(dev, 'remote', 'add', 'fork', fork);
    const env = (branch: string) => box.ok('env', 'create', '--branch', branch, '--user', 'ci', '--config', join(dev, 'flightdeck.yaml'));
    // indent: an early version cherry-picked to main, then the branch re-indented (launch() moves into the if)
    git(dev, 'switch', '-q', '-c', 'indent', 'main');
    commit('job.py', 'def run(x):\n    if x:\n        prepare()\n    launch()\n');
    git(dev, 'push', '-q', '-u', 'origin', 'indent');
    git(dev, 'switch', '-q', 'main');
    git(dev, 'cherry-pick', 'indent');
    git(dev, 'switch', '-q', 'indent');
    writeFileSync(join(dev, 'job.py'), 'def run(x):\n    if x:\n        prepare()\n        launch()\n');
    git(dev, 'commit', '-q', '-a', '--amend', '-m', 'job');
    git(dev, 'push', '-q', '-f');
    await env('indent');
    // forked: pushed to a fork, merged, then someone pushes more to the fork (not fetched here)
    git(dev, 'switch', '-q', '-c', 'forked', 'main');
    commit('f.txt', 'one\n');
    git(dev, 'push', '-q', '-u', 'fork', 'forked');
    git(dev, 'switch', '-q', 'main');
    git(dev, 'merge', '-q', '--no-ff', '-m', 'merge forked', 'forked');
    await env('forked');
    const other = join(root, 'other');
    git(root, 'clone', '-q', '--branch', 'forked', fork, other);
    writeFileSync(join(other, 'f.txt'), 'one\ntwo\n');
    git(other, 'commit', '-q', '-a', '-m', 'two');
    git(other, 'push', '-q');
    // reland: A, main takes A and reverts it; the branch takes the revert and reverts that (A is back)
    git(dev, 'switch', '-q', '-c', 'reland', 'main');
    commit('r.txt', 'r\n', 'A');
    git(dev, 'switch', '-q', 'main');
    git(dev, 'cherry-pick', 'reland');
    git(dev, 'revert', '--no-edit', 'HEAD');
    git(dev, 'switch', '-q', 'reland');
    git(dev, 'cherry-pick', 'main');
    git(dev, 'revert', '--no-edit', 'HEAD');
    await env('reland');
    git(dev, 'switch', '-q', 'main');
    git(dev, 'push', '-q', 'origin', 'main');
    // rebasing: merged, and being rebased here right now
    git(dev, 'switch', '-q', '-c', 'rebasing', 'main');
    commit('b1.txt', '1\n');
    commit('b2.txt', '2\n');
    git(dev, 'switch', '-q', 'main');
    git(dev, 'merge', '-q', '--no-ff', '-m', 'merge rebasing', 'rebasing');
    git(dev, 'push', '-q', 'origin', 'main');
    await env('rebasing');
    git(dev, 'switch', '-q', 'rebasing');
    git(dev, 'rebase', '-i', 'HEAD~2');
    assert.equal(git(dev, 'branch', '--show-current'), '', 'a rebase stopped to edit: HEAD is detached');
    const dry = await box.shell('flightdeck env prune --merged --dry-run', {}, dev);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /No stale personal environments/);
    git(dev, 'rebase', '--abort');
    // The remote's HEAD unborn (a bare repository made with another default), the clone's origin/HEAD set to a feature branch.
    git(origin, 'symbolic-ref', 'HEAD', 'refs/heads/trunk');
    git(dev, 'remote', 'set-head', 'origin', 'indent');
    git(dev, 'switch', '-q', 'main');
    const unborn = await box.shell('flightdeck env prune --merged --dry-run', {}, dev);
    assert.equal(unborn.code, 0, unborn.stderr);
    assert.match(unborn.stdout, /ci-rebasing\s+rebasing\s+merged into main/);
    assert.doesNotMatch(unborn.stdout, /ci-indent|ci-forked|ci-reland/);
    for (const branch of ['indent', 'forked', 'reland', 'rebasing']) await box.ok('env', 'delete', `ci-${branch}`);
  });

  it('env prune leaves the checked-out branch alone, even a new one with no commits yet that main has moved past', async () => {
    box.git('switch', '-q', '-c', 'feature/fresh', 'origin/main~1');
    await box.ok('deploy', '--function', 'api');
    assert.doesNotMatch(await box.ok('env', 'prune', '--merged', '--dry-run'), /jane-feature-fresh/);
    // From another branch git counts it merged (main contains its tip), and so does prune.
    box.git('switch', '-q', 'main');
    assert.match(await box.ok('env', 'prune', '--merged', '--dry-run'), /jane-feature-fresh\s+feature\/fresh\s+merged into main/);
    await box.ok('env', 'delete', 'jane-feature-fresh');
  });

  it('bash completes commands, flags, environment and function names', async () => {
    const complete = async (...words: string[]) => {
      const script = `source <(flightdeck completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_flightdeck_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await box.shell(script);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(await complete('flightdeck', 'env', 'pr'), ['prune']);
    assert.deepEqual(await complete('flightdeck', 'ro'), ['rollback', 'rollout']);
    assert.deepEqual(await complete('flightdeck', 'env', 'prune', '--d'), ['--dry-run']);
    assert.deepEqual(await complete('flightdeck', 'logs', '--function', ''), ['api', 'web']);
    assert.deepEqual(await complete('flightdeck', 'invoke', '--env', 'jane-feature-lo'), ['jane-feature-local', 'jane-feature-login']);
    assert.deepEqual(await complete('flightdeck', 'env', 'delete', 'jane-feature-lo'), ['jane-feature-local', 'jane-feature-login']);
    assert.deepEqual(await complete('flightdeck', 'env', 'delete', 'jane-feature-local', '--con'), ['--config', '--confirm']);
    assert.deepEqual(await complete('flightdeck', 'invoke', '--version', 'l'), ['latest']);
    // --flag=value: bash breaks the word at the =.
    assert.deepEqual(await complete('flightdeck', 'invoke', '--env', '=', 'jane-feature-lo'), ['jane-feature-local', 'jane-feature-login']);
    assert.deepEqual(await complete('flightdeck', 'invoke', '--function', '='), ['api', 'web']);
    assert.deepEqual(await complete('flightdeck', 'deploy', '--prov'), ['--provider']);
    assert.deepEqual(await complete('flightdeck', 'deploy', '--provider', 'k'), ['knative']);
    // --data @file: bash breaks its words at an @ (COMP_WORDBREAKS), so the @ is a word of its own.
    assert.deepEqual(await complete('flightdeck', 'invoke', '--data', '@', 'flightdeck.y'), ['flightdeck.yaml']);
    assert.ok((await complete('flightdeck', 'invoke', '--data', '@')).includes('flightdeck.yaml'));
    assert.deepEqual(await complete('flightdeck', 'invoke', '--data', '@flightdeck.y'), ['@flightdeck.yaml']);
    assert.deepEqual(await complete('flightdeck', 'invoke', '--method', 'P'), ['PATCH', 'POST', 'PUT']);
  });

  it('zsh completes on TAB through the script `flightdeck completion zsh`, in an interactive zsh', async () => {
    const typed = [
      'flightdeck env del', 'flightdeck invoke --env jane-feature-loc', 'flightdeck logs --fo', 'flightdeck rollout pa', 'flightdeck ro', 'flightdeck invoke --version l',
      'flightdeck logs --function w', 'flightdeck deploy --config flightdeck.y', 'flightdeck invoke --env=jane-feature-loc', 'flightdeck logs --function=w',
      'flightdeck invoke --data @flightdeck.y', 'flightdeck deploy --prov',
    ];
    const script = join(box.root, 'complete.zsh');
    const out = join(box.root, 'completed.txt');
    writeFileSync(script, ZSH_TYPIST);
    const result = await box.shell(`zsh -f ${script} ${out} ${typed.map((line) => `'${line}'`).join(' ')}`);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readFileSync(out, 'utf8').split('\n').slice(0, -1), [
      'flightdeck env delete ', 'flightdeck invoke --env jane-feature-local ', 'flightdeck logs --follow ', 'flightdeck rollout pause ',
      'flightdeck roll', 'flightdeck invoke --version latest ', 'flightdeck logs --function web ',
      'flightdeck deploy --config flightdeck.yaml ', // file names where flightdeck offers nothing, as bash's -o default
      'flightdeck invoke --env=jane-feature-local ', 'flightdeck logs --function=web ', 'flightdeck invoke --data @flightdeck.yaml ', 'flightdeck deploy --provider ',
    ]);
  });

  it('a large upload reports its progress at most once a second, not a line per 64 KiB', async () => {
    box.git('switch', '-q', '-c', 'feature/big', 'main');
    box.write({ 'api/data.bin': 'x'.repeat(4 * 1024 * 1024) });
    box.commit('big');
    const deployed = await box.run(['deploy', '--function', 'api']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const uploads = deployed.stderr.split('\n').filter((line) => /^api: uploading /.test(line));
    assert.ok(uploads.length >= 1 && uploads.length <= 5, `${uploads.length} upload lines:\n${uploads.join('\n')}`);
    await box.ok('env', 'delete', 'jane-feature-big');
    box.git('switch', '-q', 'main');
  });

  it('rollback skips a version that never started, and rolls back to one only with --force; invoke prints 5xx and binary answers, and refuses a method it cannot send', async () => {
    box.git('switch', '-q', '-c', 'feature/rollback', 'main');
    const deploy = async (code: string, started: boolean) => {
      box.write({ 'api/index.js': code });
      box.commit(code);
      const result = await box.run(['deploy', '--function', 'api']);
      assert.equal(result.code, started ? 0 : 1, result.stderr + result.stdout);
    };
    await deploy(handler('good one'), true);
    await deploy('exports.handler = async () => ({ ;\n', false);
    await deploy(handler('good three'), true);
    assert.match(await box.ok('rollback', '--function', 'api'), /live → v1 100%/);
    assert.match(await box.ok('invoke', '--function', 'api'), /from v1\ngood one/);
    const sick = await box.run(['rollback', '--function', 'api', '--version', '2']);
    assert.equal(sick.code, 1);
    assert.match(sick.stderr, /v2 is unhealthy[\s\S]*--force/);
    assert.match(await box.ok('rollback', '--function', 'api', '--version', '3'), /live → v3 100%/);
    // A server error is still the function's answer: --json prints it, and the command fails.
    await deploy(handler('down', 500), true);
    const down = await box.run(['invoke', '--function', 'api', '--json']);
    assert.equal(down.code, 1);
    assert.deepEqual((({ status, version, body }) => ({ status, version, body }))(JSON.parse(down.stdout)), { status: 500, version: 4, body: 'down' });
    // Bytes that are not UTF-8 come out as they are, and as base64 in JSON.
    await deploy(`exports.handler = async () => ({ statusCode: 200, isBase64Encoded: true, body: ${JSON.stringify(Buffer.from([0, 1, 2, 255, 254, 10, 13]).toString('base64'))} });\n`, true);
    const raw = await box.shell('flightdeck invoke --function api | tail -c 7 | od -An -tx1');
    assert.equal(raw.stdout.replace(/\s+/g, ' ').trim(), '00 01 02 ff fe 0a 0d');
    const binary = JSON.parse(await box.ok('invoke', '--function', 'api', '--json'));
    assert.deepEqual([binary.body, binary.isBase64Encoded], ['AAEC//4KDQ==', true]);
    for (const [args, message] of [
      [['--method', 'GET', '--data', 'x'], /A GET request has no body/],
      [['--method', 'FOO'], /--method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, not "FOO"/],
      // Dot segments would climb out of the function's URL, to another environment's function.
      [['--path', '/../../jane-feature-login/api/'], /has a \. or \.\. segment, which would leave the function's URL/],
      [['--path', '/%2e%2e/x'], /has a \. or \.\. segment/],
    ] as const) {
      const refused = await box.run(['invoke', '--function', 'api', ...args]);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, message);
    }
    box.git('switch', '-q', 'main');
  });
});

/**
 * `zsh -f THIS OUT LINE…` types each LINE into an interactive zsh (compinit, then the completion
 * script sourced as the help says), presses TAB and appends the command line it became to OUT. One
 * line at a time: zsh drops what was typed ahead when it hands the terminal to the completion's command.
 */
const ZSH_TYPIST = `zmodload zsh/zpty
out=$1; shift
zpty z zsh -f -i
zpty -w z "autoload -Uz compinit && compinit -u && source <(flightdeck completion zsh) && tab-and-dump() { zle complete-word; print -r -- \\"\\$BUFFER\\" >> \${(q)out}; BUFFER= } && zle -N tab-and-dump && bindkey '^X' tab-and-dump && print RE''ADY"
zpty -r z junk '*READY*'
typeset -i typed=0 written=0
typeset -a lines
for line in "$@"; do
  zpty -w -n z "$line"$'\\C-x'
  typed+=1
  for i in {1..300}; do
    if [[ -f $out ]]; then lines=("\${(@f)$(<$out)}"); written=\${#lines}; fi
    (( written >= typed )) && break
    sleep 0.1
  done
  (( written >= typed )) || { print -u2 "no completion of: $line"; exit 1; }
done
zpty -d z
`;
