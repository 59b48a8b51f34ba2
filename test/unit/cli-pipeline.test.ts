// `flightdeck init --ci github|gitlab`, tested by doing it: the written files pass the published
// GitHub Actions validator (@action-validator/core) and GitLab's CI schema (gitlab-ci-local
// parses and validates it against the schema it ships), and the workflow's `run:` steps run in order, as the runner would for each event,
// in a real git repository against the local platform: branch push, merge to main, branch
// deletion, and a bad release whose rollout rolls back and fails the job.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

interface Step { name?: string; run?: string; uses?: string }
interface Workflow { jobs: Record<string, { env?: Record<string, string>; steps: Step[] }> }
interface GitLabJob { script: string[]; variables?: Record<string, string> }

describe('flightdeck init --ci', () => {
  let box: CliSandbox;
  let workflow: Workflow;
  let summary: string;

  /** Runs one job's `run:` steps in order with the variables the runner would set; stops at the first failing step. */
  const runJob = async (job: string, env: Record<string, string>): Promise<CliRun & { step?: string }> => {
    let last: CliRun = { code: 0, stdout: '', stderr: '' };
    for (const step of workflow.jobs[job].steps.filter((s) => s.run !== undefined)) {
      last = await box.shell(step.run!, { GITHUB_STEP_SUMMARY: summary, GITHUB_SHA: box.git('rev-parse', 'HEAD'), ...env });
      if (last.code !== 0) return { ...last, step: step.name ?? step.run };
    }
    return last;
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
    assert.match(text, /KUBECONFIG/);
    assert.match(text, /ALIBABA_CLOUD_ACCESS_KEY_ID/);
    workflow = parse(text) as Workflow;
    const again = await box.run(['init', '--ci', 'github']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; pass --force/);
    const commands = Object.values(workflow.jobs).flatMap((j) => j.steps.flatMap((s) => s.run?.split('\n') ?? []));
    for (const line of commands.filter((l) => l.trim() !== '' && !/^\{ echo|^cat /.test(l.trim()))) {
      assert.match(line.trim(), /^(flightdeck |command -v flightdeck)/, `a step runs only the CLI: ${line}`);
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

  it('a release whose new version fails rolls back and fails the job, production staying on the old version', async () => {
    box.write({ 'api/index.js': handler('broken', 500) });
    box.commit('broken');
    box.git('push', '-q', 'origin', 'main');
    const result = await releaseUnderTraffic();
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.step, 'Roll out api');
    assert.match(result.stderr, /rolled back/);
    assert.deepEqual(await serve('production'), { status: 200, version: 2, body: 'two' });
  });
});
