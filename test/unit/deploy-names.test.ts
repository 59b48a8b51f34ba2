import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDnsLabel } from '../../src/config/names';
import { deployingUser, readGitHead, readGitInfo } from '../../src/deploy/git';
import { branchEnvironmentIn, branchEnvironmentName, noBranchEnvironment, personalEnvironmentName, personalNameCandidates } from '../../src/deploy/personalEnvironment';
import { isFlightdeckError } from '../../src/errors';

describe('personalEnvironmentName', () => {
  const name = (template: string, branch: string, user = 'jane') => personalEnvironmentName(template, { user, branch, project: 'shop' });

  it('makes branch names DNS-safe', () => {
    assert.equal(name('{branch}', 'feature/Login_Page'), 'feature-login-page');
    assert.equal(name('{user}-{branch}', 'feature/login'), 'jane-feature-login');
    assert.equal(name('{project}--{branch}', '--Fix__it!!--'), 'shop-fix-it');
    assert.equal(name('{user}-{branch}', 'main', 'Jane.Doe'), 'jane-doe-main');
  });

  it('truncates long names to 63 characters with a hash that keeps them apart', () => {
    const a = name('{user}-{branch}', `feature/${'x'.repeat(80)}-one`);
    const b = name('{user}-{branch}', `feature/${'x'.repeat(80)}-two`);
    assert.ok(a.length <= 63 && b.length <= 63);
    assert.notEqual(a, b);
    assert.ok(isDnsLabel(a) && isDnsLabel(b), `${a} ${b}`);
  });

  it('rejects unknown placeholders and names that come out empty', () => {
    assert.throws(() => name('{owner}-{branch}', 'main'), (e: unknown) => isFlightdeckError(e, 'CONFIG_INVALID'));
    assert.throws(() => name('{branch}', '///'), (e: unknown) => isFlightdeckError(e, 'BAD_REQUEST'));
  });
});

describe('git helpers', () => {
  let dir: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' }).toString().trim();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-git-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says when the folder is not in a repository', async () => {
    await assert.rejects(readGitHead(dir), (e: unknown) => isFlightdeckError(e, 'GIT') && /not in a git repository/.test(e.message));
  });

  it('reads branch, commit and identity, and refuses a detached HEAD', async () => {
    git('init', '-q', '-b', 'feature/login');
    git('config', 'user.name', 'Jane Doe');
    git('config', 'user.email', 'jane@example.com');
    assert.deepEqual(await readGitInfo(dir), { branch: 'feature/login', commit: undefined, userName: 'Jane Doe', userEmail: 'jane@example.com' });
    writeFileSync(join(dir, 'a.txt'), 'a');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'a');
    const info = await readGitInfo(dir);
    assert.equal(info.commit, git('rev-parse', 'HEAD'));
    assert.equal(deployingUser(info), 'jane');
    assert.deepEqual(await readGitHead(dir), { branch: 'feature/login', commit: info.commit });
    git('checkout', '-q', '--detach');
    // A detached HEAD (a CI job's) still gives its commit; only a personal environment needs the branch.
    assert.deepEqual(await readGitHead(dir), { branch: undefined, commit: info.commit });
    await assert.rejects(readGitInfo(dir), (e: unknown) => isFlightdeckError(e, 'GIT') && /detached/.test(e.message));
  });
});

describe('the environment a branch calls its own', () => {
  const plain = personalEnvironmentName('{user}-{branch}', { user: 'jane', branch: 'feature-x', project: 'shop' });
  const owner = { branch: 'feature-x', project: 'shop' };
  const [, branchTwin, projectTwin] = personalNameCandidates(plain, owner);
  const taken = { name: plain, kind: 'personal' as const, branch: 'feature/x', project: 'shop' };

  it('is the twin when the plain name belongs to another branch, and never that other branch’s', () => {
    assert.equal(plain, personalEnvironmentName('{user}-{branch}', { user: 'jane', branch: 'feature/x', project: 'shop' }));
    assert.match(branchTwin, /^jane-feature-x-[0-9a-f]{6}$/);
    assert.equal(branchEnvironmentIn([taken, { name: branchTwin, kind: 'personal', branch: 'feature-x', project: 'shop' }], plain, owner)?.name, branchTwin);
    assert.equal(branchEnvironmentIn([taken], plain, owner), undefined);
    assert.equal(branchEnvironmentIn([taken], plain, { branch: 'feature/x', project: 'shop' })?.name, plain);
    // Before it exists, the name its first deploy will take.
    assert.equal(branchEnvironmentName([taken], plain, owner), branchTwin);
    assert.equal(noBranchEnvironment([taken], plain, owner), 'Branch feature-x has no environment ("jane-feature-x" belongs to branch feature/x)');
  });

  it('is never another project’s environment of the same branch; one that records no project (older) still counts', () => {
    const billing = { name: plain, kind: 'personal' as const, branch: 'feature-x', project: 'billing' };
    assert.equal(branchEnvironmentIn([billing], plain, owner), undefined);
    assert.equal(noBranchEnvironment([billing], plain, owner), 'Branch feature-x has no environment ("jane-feature-x" belongs to branch feature-x of project billing)');
    assert.equal(branchEnvironmentName([billing], plain, owner), branchTwin);
    // Both names held by other projects' feature-x: the third name, from project and branch.
    const billingTwin = { ...billing, name: branchTwin, project: 'search' };
    assert.notEqual(projectTwin, branchTwin);
    assert.equal(branchEnvironmentName([billing, billingTwin], plain, owner), projectTwin);
    assert.equal(branchEnvironmentIn([billing, billingTwin, { ...billing, name: projectTwin, project: 'shop' }], plain, owner)?.name, projectTwin);
    // Every name held by others: there is none to call this branch's (never another's).
    assert.equal(branchEnvironmentName([billing, billingTwin, { ...billing, name: projectTwin, project: 'search' }], plain, owner), undefined);
    assert.equal(branchEnvironmentIn([{ name: plain, kind: 'personal', branch: 'feature-x' }], plain, owner)?.name, plain);
  });

  it('is not a staging or production environment that happens to have the name', () => {
    const staging = { name: plain, kind: 'staging' as const, branch: 'feature-x' };
    assert.equal(branchEnvironmentIn([staging], plain, owner), undefined);
    assert.equal(branchEnvironmentName([staging], plain, owner), branchTwin);
    assert.match(noBranchEnvironment([staging], plain, owner), /belongs to a staging environment\)$/);
  });
});
