// `flightdeck init --ci github|gitlab`, tested by doing it: the written files pass the published
// GitHub Actions validator (@action-validator/core) and GitLab's CI schema (gitlab-ci-local
// parses and validates it against the schema it ships), and the workflow's `run:` steps run in order, as the runner would for each event,
// in a real git repository against the local platform: branch push, merge to main, branch
// deletion, and a bad release whose rollout rolls back and fails the job.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import type { Environment } from '../../src/model';
import { REPO_ROOT } from '../helpers/platform';
import { CliSandbox, handler, type CliRun } from '../helpers/cliSandbox';

const PROJECT = `project: shop
functions:
  api:
    runtime: nodejs
    code: ./api
    handler: index.handler
    rollout: { steps: [50, 100], interval: 3s, minRequests: 5, maxErrorRate: 0.05 }
environments:
  production: { kind: production, protected: true }
  staging: { kind: staging }
`;

interface Step { name?: string; run?: string; uses?: string; shell?: string }
interface Workflow { env?: Record<string, string>; defaults?: { run?: { shell?: string } }; jobs: Record<string, { env?: Record<string, string>; steps: Step[] }> }
const INSTALL_STEP = 'Install the Flightdeck CLI';
interface GitLabJob { script: string[]; variables?: Record<string, string> }

describe('flightdeck init --ci', () => {
  let box: CliSandbox;
  let workflow: Workflow;
  let summary: string;

  /**
   * Runs one job's `run:` steps in order with the variables the runner would set (the workflow's
   * env, its `vars.` and `secrets.` from `settings`); stops at the first failing step. The shell is
   * GitHub's: `bash -e` by default, with pipefail only under `shell: bash`.
   */
  const runJob = async (job: string, env: Record<string, string>, settings: Record<string, string> = {}): Promise<CliRun & { step?: string }> => {
    const workflowEnv = Object.fromEntries(Object.entries(workflow.env ?? {}).map(([name, value]) =>
      [name, value.replace(/\$\{\{ (?:vars|secrets)\.(\w+) \}\}/g, (_, key: string) => settings[key] ?? '')]));
    let last: CliRun = { code: 0, stdout: '', stderr: '' };
    for (const step of workflow.jobs[job].steps.filter((s) => s.run !== undefined)) {
      const pipefail = (step.shell ?? workflow.defaults?.run?.shell) === 'bash';
      last = await box.shell(step.run!, { ...workflowEnv, GITHUB_STEP_SUMMARY: summary, GITHUB_SHA: box.git('rev-parse', 'HEAD'), ...env }, box.repo, pipefail);
      if (last.code !== 0) return { ...last, step: step.name ?? step.run };
    }
    return last;
  };
  /** The job's steps up to and including the one named `last`. */
  const onlyUpTo = (job: string, last: string) => {
    const steps = workflow.jobs[job].steps;
    return { ...workflow, jobs: { [job]: { ...workflow.jobs[job], steps: steps.slice(0, steps.findIndex((s) => s.name === last) + 1) } } };
  };
  const envNames = async () => (await box.json<{ environments: Environment[] }>('envs')).environments.map((e) => e.name).sort();
  /** The release job, while a user keeps calling production until the job ends. */
  const releaseUnderTraffic = async () => {
    const url = (await box.ok('url', '--env', 'production', '--function', 'api')).trim();
    const job = runJob('release', {});
    let traffic = true;
    const load = (async () => {
      while (traffic) await fetch(url).then((r) => r.arrayBuffer()).catch(() => undefined);
    })();
    try {
      return await job;
    } finally {
      traffic = false;
      await load;
    }
  };
  const serve = async (env: string) => {
    const url = (await box.ok('url', '--env', env, '--function', 'api')).trim();
    const response = await fetch(url);
    return { status: response.status, version: Number(response.headers.get('x-flightdeck-version')), body: await response.text() };
  };

  before(() => {
    box = new CliSandbox({ 'flightdeck.yaml': PROJECT, 'api/index.js': handler('one'), '.gitignore': 'deploy.txt\n.gitlab-ci-local/\n' });
    summary = join(box.root, 'summary.md');
    writeFileSync(summary, '');
  });
  after(() => box.stop());

  it('writes a GitHub workflow that the published action validator accepts', async () => {
    assert.match(await box.ok('init', '--ci', 'github'), /Wrote .*\.github\/workflows\/flightdeck\.yml/);
    const text = readFileSync(join(box.repo, '.github/workflows/flightdeck.yml'), 'utf8');
    assert.deepEqual(validateWorkflow(text).errors, []);
    assert.ok(validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs-on: [ubuntu-latest')).errors.length > 0, 'the validator does reject a broken file');
    // The local platform needs no secret; the jobs get the CLI from FLIGHTDECK_CLI.
    assert.doesNotMatch(text, /KUBECONFIG|ALIBABA_CLOUD/);
    assert.match(text, /FLIGHTDECK_CLI: \$\{\{ vars\.FLIGHTDECK_CLI \}\}/);
    workflow = parse(text) as Workflow;
    const again = await box.run(['init', '--ci', 'github']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; pass --force/);
    const commands = Object.values(workflow.jobs).flatMap((j) => j.steps.filter((s) => s.name !== INSTALL_STEP).flatMap((s) => s.run?.split('\n') ?? []));
    for (const line of commands.filter((l) => l.trim() !== '' && !/^\{ echo|^cat /.test(l.trim()))) {
      assert.match(line.trim(), /^flightdeck /, `a step runs only the CLI: ${line}`);
    }
  });

  /**
   * Runs a GitLab job of a branch pipeline as its runner would: in a fresh build folder where it
   * fetches the branch from the remote (which fails once the branch is deleted); or, when the job
   * says GIT_STRATEGY: none, in the job's build folder as the last run left it (a shell runner's).
   * Then the default before_script and the script, in one shell.
   */
  const runGitLabJob = async (job: string, env: Record<string, string> & { CI_COMMIT_BRANCH: string }): Promise<CliRun> => {
    const pipeline = parse(readFileSync(join(box.repo, '.gitlab-ci.yml'), 'utf8')) as { default: { before_script: string[] } } & Record<string, GitLabJob>;
    const { script, variables = {} } = pipeline[job];
    const build = join(box.root, variables.GIT_STRATEGY === 'none' ? `build-${job}` : `build-${job}-${Date.now()}`);
    mkdirSync(build, { recursive: true });
    if (variables.GIT_STRATEGY !== 'none') {
      const fetched = await box.shell(`git clone -q --branch "$CI_COMMIT_BRANCH" "${box.origin}" .`, env, build);
      if (fetched.code !== 0) return fetched;
    }
    const ci = { CI_DEFAULT_BRANCH: 'main', CI_REPOSITORY_URL: box.origin, ...variables, ...env };
    return box.shell([...pipeline.default.before_script, ...script].join('\n'), ci, build);
  };

  it('writes a GitLab pipeline that passes GitLab\'s CI schema', async () => {
    await box.ok('init', '--ci', 'gitlab');
    const lint = (cwd: string) => new Promise<CliRun>((resolve) => {
      execFile(process.execPath, [join(REPO_ROOT, 'node_modules/gitlab-ci-local/src/index.js'), '--list'], { cwd, env: { ...box.env, HOME: box.root } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
    const good = await lint(box.repo);
    assert.equal(good.code, 0, good.stderr + good.stdout);
    // On main its rules pick the release job only.
    assert.match(good.stdout, /^release\s+release\s+on_success/m);
    assert.doesNotMatch(good.stdout, /branch-environment/);
    const file = join(box.repo, '.gitlab-ci.yml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('  stage: release', '  stage: release\n  when: sometimes'));
    const bad = await lint(box.repo);
    assert.notEqual(bad.code, 0, 'the schema does reject a broken file');
    writeFileSync(file, text);
    box.commit('CI pipelines');
    box.git('push', '-q', 'origin', 'main');
  });

  it('push to a feature branch: its environment serves the branch, and the job summary has the URL', async () => {
    box.git('switch', '-q', '-c', 'feature/login');
    box.write({ 'api/index.js': handler('login') });
    box.commit('login');
    box.git('push', '-q', '-u', 'origin', 'feature/login');
    // CI checks the commit out detached, as actions/checkout does for a pull request.
    box.git('checkout', '-q', '--detach');
    const result = await runJob('branch-environment', { BRANCH: 'feature/login' });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await envNames(), ['ci-feature-login']);
    assert.deepEqual(await serve('ci-feature-login'), { status: 200, version: 1, body: 'login' });
    assert.match(readFileSync(summary, 'utf8'), /Environment of `feature\/login`[\s\S]*http:\/\/127\.0\.0\.1:\d+\/fn\/ci-feature-login\/api\//);
  });

  it('the install step installs the CLI from FLIGHTDECK_CLI, and without it or an installed one fails saying what to set', async () => {
    const full = workflow;
    workflow = onlyUpTo('branch-environment', INSTALL_STEP);
    try {
      const bare = { PATH: process.env.PATH! }; // no flightdeck on it
      const unset = await runJob('branch-environment', bare);
      assert.equal(unset.code, 1);
      assert.match(unset.stdout, /Set the FLIGHTDECK_CLI CI variable/);
      const packed = join(box.root, 'packed');
      mkdirSync(packed);
      const npm = { npm_config_cache: join(box.root, 'npm-cache'), npm_config_prefix: join(box.root, 'runner'), npm_config_offline: 'true' };
      const pack = await box.shell(`npm pack --silent --pack-destination "${packed}" "${REPO_ROOT}"`, npm);
      assert.equal(pack.code, 0, pack.stderr);
      // Committed in the repository, named by its path there (npm alone takes vendor/x.tgz for a GitHub repository).
      const name = pack.stdout.trim().split('\n').pop()!;
      mkdirSync(join(box.repo, 'vendor'));
      writeFileSync(join(box.repo, 'vendor', name), readFileSync(join(packed, name)));
      const installed = await runJob('branch-environment', { ...bare, ...npm }, { FLIGHTDECK_CLI: `vendor/${name}` });
      rmSync(join(box.repo, 'vendor'), { recursive: true });
      assert.equal(installed.code, 0, installed.stderr + installed.stdout);
      const help = await box.shell('flightdeck --help', { PATH: `${join(box.root, 'runner', 'bin')}:${process.env.PATH}` });
      assert.match(help.stdout, /^Usage: flightdeck <command>/);
    } finally {
      workflow = full;
    }
  });

  it('a branch whose new version does not start fails its job, though the deploy is piped into the summary', async () => {
    box.git('switch', '-q', '-c', 'feature/broken');
    box.write({ 'api/index.js': 'exports.handler = async () => ({ ;\n' });
    box.commit('broken');
    const result = await runJob('branch-environment', { BRANCH: 'feature/broken' });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.step, 'Deploy');
    assert.match(result.stdout, /did not start/);
    assert.equal((await runJob('delete-branch-environment', { BRANCH: 'feature/broken' })).code, 0);
    box.git('switch', '-q', 'feature/login');
    box.git('branch', '-q', '-D', 'feature/broken');
  });

  it('merge to the default branch: staging, then production rolled out to the new version', async () => {
    box.git('switch', '-q', 'main');
    box.git('merge', '-q', '--no-ff', '-m', 'merge login', 'feature/login');
    box.git('push', '-q', 'origin', 'main');
    const first = await runJob('release', {});
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.deepEqual(await serve('staging'), { status: 200, version: 1, body: 'login' });
    assert.deepEqual(await serve('production'), { status: 200, version: 1, body: 'login' });
    box.write({ 'api/index.js': handler('two') });
    box.commit('two');
    box.git('push', '-q', 'origin', 'main');
    // Production has users: the rollout's gates judge v2 on their requests (without any, --wait
    // would end completed-unverified, exit 3, and fail the job).
    const second = await releaseUnderTraffic();
    assert.equal(second.code, 0, second.stderr + second.stdout);
    assert.match(second.stdout, /v2 now serves 100% of live/);
    assert.deepEqual(await serve('production'), { status: 200, version: 2, body: 'two' });
    assert.deepEqual(await serve('staging'), { status: 200, version: 2, body: 'two' });
  });

  it('branch deleted: its environment goes, and a second delete job succeeds', async () => {
    box.git('push', '-q', 'origin', '--delete', 'feature/login');
    box.git('branch', '-q', '-D', 'feature/login');
    for (let i = 0; i < 2; i++) {
      const result = await runJob('delete-branch-environment', { BRANCH: 'feature/login' });
      assert.equal(result.code, 0, result.stderr);
    }
    assert.deepEqual(await envNames(), ['production', 'staging']);
  });

  it('GitLab: a branch pipeline deploys its environment, and the stop job deletes it once the branch is gone, without checking the branch out', async () => {
    box.git('switch', '-q', '-c', 'feature/pay');
    box.write({ 'api/index.js': handler('pay') });
    box.commit('pay');
    box.git('push', '-q', '-u', 'origin', 'feature/pay');
    const ci = { CI_COMMIT_BRANCH: 'feature/pay', CI_COMMIT_REF_SLUG: 'feature-pay' };
    const deployed = await runGitLabJob('branch-environment', ci);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.deepEqual(await serve('ci-feature-pay'), { status: 200, version: 1, body: 'pay' });
    box.git('switch', '-q', 'main');
    box.git('push', '-q', 'origin', '--delete', 'feature/pay');
    box.git('branch', '-q', '-D', 'feature/pay');
    for (let i = 0; i < 2; i++) {
      const stopped = await runGitLabJob('delete-branch-environment', ci);
      assert.equal(stopped.code, 0, stopped.stderr);
    }
    assert.deepEqual(await envNames(), ['production', 'staging']);
  });

  it('a deploy in a detached checkout records the branch the CI job names', async () => {
    box.git('checkout', '-q', '--detach', 'main');
    try {
      const deployed = await box.run(['deploy', '--env', 'staging'], { CI_COMMIT_BRANCH: 'main' });
      assert.equal(deployed.code, 0, deployed.stderr);
      const { versions } = await box.json<{ versions: { branch?: string }[] }>('versions', '--env', 'staging', '--function', 'api');
      assert.equal(versions[0].branch, 'main');
    } finally {
      box.git('switch', '-q', 'main');
    }
  });

  it('a release whose new version fails rolls back and fails the job, production staying on the old version', async () => {
    box.write({ 'api/index.js': handler('broken', 500) });
    box.commit('broken');
    box.git('push', '-q', 'origin', 'main');
    const result = await releaseUnderTraffic();
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.step, 'Roll out api in production');
    assert.match(result.stderr, /rolled back/);
    assert.deepEqual(await serve('production'), { status: 200, version: 2, body: 'two' });
  });
});

describe('flightdeck init --ci for cloud providers and odd paths', () => {
  let box: CliSandbox;
  before(() => {
    box = new CliSandbox({ 'README.md': 'shop\n' });
  });
  after(() => box.stop());

  /** Writes `project` at `path` in the repository, runs init there, and returns the parsed file and init's output. */
  const init = async (ci: 'github' | 'gitlab', path: string, project: string) => {
    box.write({ [path]: project, [join(dirname(path), 'api/index.js')]: handler('one') });
    const folder = join(box.repo, dirname(path));
    const result = await box.shell(`flightdeck init --ci ${ci} --force`, {}, folder);
    assert.equal(result.code, 0, result.stderr);
    const text = readFileSync(join(box.repo, ci === 'github' ? '.github/workflows/flightdeck.yml' : '.gitlab-ci.yml'), 'utf8');
    return { text, parsed: parse(text), output: result.stdout };
  };
  const fc3 = `project: shop
provider: { kind: fc3, region: cn-hangzhou }
environments:
  staging: { kind: staging }
  prod-eu: { kind: production, protected: true }
  prod-us: { kind: production, protected: true }
functions:
  api: { runtime: nodejs, code: ./api, handler: index.handler }
`;

  it('Function Compute: every job gets the credentials under the names the provider reads, and init says which to set', async () => {
    const { text, parsed, output } = await init('github', 'flightdeck.yaml', fc3);
    assert.deepEqual(validateWorkflow(text).errors, []);
    assert.deepEqual((parsed as Workflow).env, {
      FLIGHTDECK_CLI: '${{ vars.FLIGHTDECK_CLI }}',
      ALIBABA_CLOUD_ACCESS_KEY_ID: '${{ secrets.ALIBABA_CLOUD_ACCESS_KEY_ID }}',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: '${{ secrets.ALIBABA_CLOUD_ACCESS_KEY_SECRET }}',
      // provider.region is in flightdeck.yaml; the account id is not.
      ALIBABA_CLOUD_ACCOUNT_ID: '${{ vars.ALIBABA_CLOUD_ACCOUNT_ID }}',
    });
    assert.match(output, /ALIBABA_CLOUD_ACCESS_KEY_SECRET \(secret\)/);
    assert.match(output, /ALIBABA_CLOUD_ACCOUNT_ID \(variable\)/);
    // The provider itself names these variables when they are missing.
    const missing = await box.run(['envs'], { ALIBABA_CLOUD_ACCESS_KEY_ID: 'id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret', HOME: box.root });
    assert.match(missing.stderr, /\$ALIBABA_CLOUD_ACCOUNT_ID/);
  });

  it('every staging and production environment is released to, each production one rolled out', async () => {
    const { parsed } = await init('github', 'flightdeck.yaml', fc3);
    const steps = (parsed as Workflow).jobs.release.steps.filter((s) => s.run).map((s) => s.name);
    assert.deepEqual(steps, [INSTALL_STEP, 'Deploy to staging', 'Deploy to prod-eu (moves no traffic)', 'Roll out api in prod-eu', 'Deploy to prod-us (moves no traffic)', 'Roll out api in prod-us']);
    const gitlab = (await init('gitlab', 'flightdeck.yaml', fc3)).parsed as Record<string, GitLabJob & { environment?: unknown }>;
    assert.equal(gitlab.release.script.filter((line) => line.startsWith('flightdeck rollout start')).length, 2);
    // A deployment job, so GitLab does not run an older pipeline's release after a newer one's.
    assert.deepEqual(gitlab.release.environment, { name: 'prod-eu', deployment_tier: 'production' });
  });

  it('Knative: GitHub writes the KUBECONFIG secret to a file the CLI reads; GitLab asks for a File variable', async () => {
    const knative = fc3.replace('provider: { kind: fc3, region: cn-hangzhou }', 'provider: { kind: knative }').replace('handler: index.handler }', 'handler: index.handler, image: registry.example/api@sha256:' + 'a'.repeat(64) + ' }');
    const { parsed } = await init('github', 'flightdeck.yaml', knative);
    const step = (parsed as Workflow).jobs.release.steps.find((s) => s.name === 'Write the kubeconfig') as Step & { env: Record<string, string> };
    assert.deepEqual(step.env, { KUBECONFIG_CONTENTS: '${{ secrets.KUBECONFIG }}' });
    const runner = join(box.root, 'runner-temp');
    mkdirSync(runner, { recursive: true });
    const githubEnv = join(runner, 'github-env');
    const wrote = await box.shell(step.run!, { KUBECONFIG_CONTENTS: 'apiVersion: v1\nkind: Config', RUNNER_TEMP: runner, GITHUB_ENV: githubEnv });
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(readFileSync(githubEnv, 'utf8'), `KUBECONFIG=${runner}/kubeconfig\n`);
    assert.equal(readFileSync(join(runner, 'kubeconfig'), 'utf8'), 'apiVersion: v1\nkind: Config\n');
    const { output } = await init('gitlab', 'flightdeck.yaml', knative.replace('kind: knative }', 'kind: knative, kubeconfig: ~/.kube/prod }'));
    assert.match(output, /KUBECONFIG \(secret, of type File, not protected \(GitLab cannot mask several lines\)\)/);
    assert.match(output, /FLIGHTDECK_CLI \(variable, not protected\)/);
    assert.match(output, /provider\.kubeconfig \(~\/\.kube\/prod\) wins over \$KUBECONFIG/);
  });

  it('a release whose rollouts outlast a GitLab job gets a time limit to match, and init says so', async () => {
    const slow = fc3.replace('handler: index.handler }', 'handler: index.handler, rollout: { steps: [10, 50, 100], interval: 30m } }');
    const gitlab = await init('gitlab', 'flightdeck.yaml', slow);
    // Two production environments, two 30-minute waits each: 120 min, and 15 for the deploys.
    assert.equal((gitlab.parsed as Record<string, { timeout?: string }>).release.timeout, '135 minutes');
    assert.match(gitlab.output, /rollouts take about 120 min, so its time limit is 135 min/);
    const github = await init('github', 'flightdeck.yaml', slow);
    assert.deepEqual(validateWorkflow(github.text).errors, []);
    assert.equal((github.parsed as { jobs: Record<string, { 'timeout-minutes'?: number }> }).jobs.release['timeout-minutes'], undefined, 'within GitHub\'s 6 hours');
    assert.equal((await init('gitlab', 'flightdeck.yaml', fc3)).text.includes('timeout:'), false, 'default rollouts fit the default limit');
  });

  it('a project file whose path has a space and a # reaches the CLI as one argument, in both files', async () => {
    const path = 'svc #1/flightdeck.yaml';
    const github = await init('github', path, fc3);
    assert.deepEqual(validateWorkflow(github.text).errors, []);
    const gitlab = (await init('gitlab', path, fc3)).parsed as Record<string, GitLabJob>;
    const lines = [
      ...Object.values((github.parsed as Workflow).jobs).flatMap((job) => job.steps.flatMap((step) => step.run?.split('\n') ?? [])),
      ...Object.values(gitlab).flatMap((job) => job.script ?? []),
    ];
    const commands = lines.filter((line) => line.startsWith('flightdeck ')).map((line) => line.replace(/ \| tee deploy\.txt$/, ''));
    assert.equal(commands.length, 14);
    for (const command of commands) {
      const args = await box.shell(`flightdeck() { printf '<%s>' "$@"; }; ${command}`, { BRANCH: 'b', CI_COMMIT_BRANCH: 'b' });
      assert.match(args.stdout, /<--config><svc #1\/flightdeck\.yaml>$/, command);
    }
  });
});
