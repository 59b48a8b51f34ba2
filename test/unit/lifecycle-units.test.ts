// The pure parts of the branch-environment lifecycle: personal.ttl in flightdeck.yaml (with
// line/column problems and the JSON schema agreeing), how a version is named, and which
// environments are stale for which reason; and the squash-merge verdicts a caller keeps, read
// from a real git repository.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseProjectFile } from '../../src/config/projectFile';
import { findStale, describeReason, personalBranches, readBranchFacts, type BranchFacts, type MergeVerdicts } from '../../src/deploy/stale';
import type { Environment } from '../../src/model';
import { parseVersionRef } from '../../src/versionRef';
import { REPO_ROOT } from '../helpers/platform';

describe('personal.ttl', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flightdeck-ttl-'));
    mkdirSync(join(dir, 'api'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const parse = (personal: string) =>
    parseProjectFile(`project: shop\nfunctions:\n  api: { runtime: nodejs, code: ./api, handler: index.handler }\npersonal:\n${personal}`, join(dir, 'flightdeck.yaml'));

  it('reads 7d, 48h and whole milliseconds, and leaves it unset by default', () => {
    assert.equal(parse('  ttl: 7d\n').project?.personal.ttlMs, 7 * 86_400_000);
    assert.equal(parse('  ttl: 48h\n  name: "{user}-{branch}"\n').project?.personal.ttlMs, 48 * 3_600_000);
    assert.equal(parse('  ttl: 600000\n').project?.personal.ttlMs, 600_000);
    assert.equal(parse('  name: "{branch}"\n').project?.personal.ttlMs, undefined);
  });

  it('reports a bad or too short TTL at its line and column', () => {
    const [bad] = parse('  ttl: a week\n').problems;
    assert.deepEqual([bad.line, bad.column], [5, 8]);
    assert.match(bad.message, /`personal\.ttl` must be a duration like 500ms, 30s, 5m or 7d/);
    const [short] = parse('  ttl: 10s\n').problems;
    assert.deepEqual([short.line, short.column], [5, 8]);
    assert.match(short.message, /at least 60000ms/);
    const [typo] = parse('  tll: 7d\n').problems;
    assert.equal(typo.line, 5);
  });

  it('is in the JSON schema with the same duration units', () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'media', 'flightdeck.schema.json'), 'utf8'));
    assert.equal(schema.properties.personal.properties.ttl.$ref, '#/definitions/duration');
    assert.match('7d', new RegExp(schema.definitions.duration.oneOf[0].pattern));
  });
});

describe('version references', () => {
  it('takes latest, previous, numbers, vN and numeric strings alike', () => {
    assert.equal(parseVersionRef('latest'), 'latest');
    assert.equal(parseVersionRef('Previous'), 'previous');
    assert.equal(parseVersionRef(12), 12);
    assert.equal(parseVersionRef('12'), 12);
    assert.equal(parseVersionRef('v12'), 12);
    assert.equal(parseVersionRef(' V3 '), 3);
    for (const bad of [0, -1, 1.5, '0', 'v', 'v1.2', '12a', '', 'newest', null, true]) assert.equal(parseVersionRef(bad), undefined, String(bad));
  });
});

describe('stale environments', () => {
  const now = Date.parse('2026-01-20T00:00:00Z');
  const env = (name: string, extra: Partial<Environment> = {}): Environment => ({ name, kind: 'personal', protected: false, created: '2026-01-01T00:00:00Z', ...extra });
  const facts: BranchFacts = { defaultBranch: 'main', merged: new Map([['done', 'merge']]), gone: new Set(['gone']), remote: 'origin' };

  it('finds merged, gone and idle personal ones, never shared or protected ones', () => {
    const environments = [
      env('a-done', { branch: 'done', lastRequest: '2026-01-19T00:00:00Z' }),
      env('a-gone', { branch: 'gone', lastDeploy: '2026-01-19T12:00:00Z' }),
      env('a-wip', { branch: 'wip', lastDeploy: '2026-01-10T00:00:00Z' }),
      env('a-local', { branch: 'local', lastDeploy: '2026-01-19T00:00:00Z' }),
      env('staging', { kind: 'staging', branch: 'done' }),
      env('kept', { branch: 'done', protected: true }),
    ];
    const stale = findStale(environments, facts, { merged: true, gone: true, idleMs: 7 * 86_400_000, now });
    assert.deepEqual(stale.map((s) => [s.environment.name, s.reasons.map(describeReason)]), [
      ['a-done', ['merged into main']],
      ['a-gone', ['branch gone from origin']],
      ['a-wip', ['idle 10 d']],
    ]);
    assert.deepEqual(findStale(environments, facts, { merged: true, now }).map((s) => s.environment.name), ['a-done']);
  });

  it('never calls the checked-out branch merged or gone: someone is on it', () => {
    const environments = [env('a-done', { branch: 'done' }), env('a-gone', { branch: 'gone' })];
    for (const checkedOut of ['done', 'gone']) {
      const stale = findStale(environments, { ...facts, checkedOut: new Set([checkedOut]) }, { merged: true, gone: true, now });
      assert.deepEqual(stale.map((s) => s.environment.name), environments.map((e) => e.name).filter((n) => n !== `a-${checkedOut}`));
    }
  });

  it("judges only its own project's environments (and those that record none): another repository's branches all look gone here", () => {
    const environments = [
      env('mine', { branch: 'gone', project: 'shop' }),
      env('theirs', { branch: 'gone', project: 'billing', lastDeploy: '2026-01-01T00:00:00Z' }),
      env('older', { branch: 'gone' }),
    ];
    const criteria = { merged: true, gone: true, idleMs: 86_400_000, now };
    assert.deepEqual(findStale(environments, facts, { ...criteria, project: 'shop' }).map((s) => s.environment.name), ['mine', 'older']);
    assert.deepEqual(findStale(environments, facts, { ...criteria, project: 'billing' }).map((s) => s.environment.name), ['theirs', 'older']);
    // Outside any project, only what records none.
    assert.deepEqual(findStale(environments, facts, criteria).map((s) => s.environment.name), ['older']);
    assert.deepEqual(personalBranches(environments, 'shop'), ['gone', 'gone']);
    assert.deepEqual(personalBranches(environments, undefined), ['gone']);
  });
});

describe('squash-merge verdicts', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  const commit = (file: string, text: string) => {
    writeFileSync(join(repo, file), text);
    git('add', '-A');
    git('commit', '-q', '-m', text);
  };
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'flightdeck-verdicts-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'jane@example.com');
    git('config', 'user.name', 'Jane Doe');
    commit('a.txt', 'first\n');
    git('switch', '-q', '-c', 'feature/done');
    commit('b.txt', 'one\n');
    commit('b.txt', 'two\n');
    git('switch', '-q', '-c', 'feature/open', 'main');
    commit('c.txt', 'open\n');
    git('switch', '-q', 'main');
    git('merge', '-q', '--squash', 'feature/done');
    git('commit', '-q', '-m', 'Squashed');
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  it('keeps what git said by the two tips, and answers from it while they stay', async () => {
    const verdicts: MergeVerdicts = new Map();
    const facts = await readBranchFacts(repo, { branches: ['feature/done', 'feature/open'], verdicts });
    assert.deepEqual([...facts.merged], [['feature/done', 'squash']]);
    const main = git('rev-parse', 'main');
    const key = (branch: string) => `${main} ${git('rev-parse', branch)}`;
    assert.deepEqual(new Map(verdicts), new Map([[key('feature/done'), 'squash'], [key('feature/open'), null]]));
    // The same tips: the kept verdict is the answer (here one planted to tell it from git's own).
    verdicts.set(key('feature/open'), 'rebase');
    assert.equal((await readBranchFacts(repo, { branches: ['feature/open'], verdicts })).merged.get('feature/open'), 'rebase');
    // The branch moves on: git is asked again.
    git('switch', '-q', 'feature/open');
    commit('c.txt', 'more\n');
    assert.deepEqual((await readBranchFacts(repo)).checkedOut, new Set(['feature/open']));
    git('switch', '-q', '--detach');
    assert.deepEqual((await readBranchFacts(repo)).checkedOut, new Set(), 'a detached HEAD is on no branch');
    git('switch', '-q', 'main');
    assert.equal((await readBranchFacts(repo, { branches: ['feature/open'], verdicts })).merged.get('feature/open'), undefined);
    assert.equal(verdicts.get(key('feature/open')), null, 'asked again for the new tip');
  });
});
