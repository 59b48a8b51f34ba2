// kill -9 the real platform while deploys (blob uploads included) and alias updates are in
// flight, restart it on the same state folder, and check nothing acknowledged was lost and every
// version is whole. Repeated at random moments.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import type { Alias, ManifestEntry, Version } from '../../src/model';
import { createEnv, deployDir } from '../helpers/deploy';
import { startPlatform, tempHome, type TestPlatform } from '../helpers/platform';

const ROUNDS = 8;
const ENV = 'crash';
const FUNCTIONS = ['alpha', 'beta'];
const fnPath = (fn: string) => `/v1/environments/${ENV}/functions/${fn}`;

interface Acknowledged {
  fn: string;
  id: number;
  tree: string;
}

/** The canary alias worker's view: the last update answered 200, and the one still in flight. */
interface AliasLedger {
  acknowledged?: Alias;
  inFlight?: { versionId: number; additionalVersionWeight: Record<string, number> };
}

/** fetch's own failure (connection refused or reset), as opposed to an HTTP answer or an assertion. */
function killedUnderUs(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}

/** Deploys fresh content to `fn` until the platform dies; records every 200. */
async function deployLoop(platform: TestPlatform, fn: string, acks: Acknowledged[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flightdeck-crash-code-'));
  try {
    for (;;) {
      writeFileSync(join(dir, 'index.js'), `exports.handler = async () => ({ statusCode: 200, body: '${randomBytes(8).toString('hex')}' });\n`);
      writeFileSync(join(dir, 'data.bin'), randomBytes(1024 + Math.floor(Math.random() * 64 * 1024)));
      const answer = await deployDir(platform, ENV, fn, dir, { runtime: 'nodejs' });
      acks.push({ fn, id: answer.version.id, tree: answer.version.tree });
    }
  } catch (error) {
    if (!killedUnderUs(error)) throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Moves the `canary` alias of `fn` around with If-Match, one update at a time. */
async function aliasLoop(platform: TestPlatform, fn: string, ledger: AliasLedger): Promise<void> {
  try {
    for (;;) {
      const summary = await platform.api('GET', fnPath(fn));
      if (summary.status !== 200) {
        await sleep(5);
        continue;
      }
      const latest: number = summary.json.latestVersion;
      const current = await platform.api('GET', `${fnPath(fn)}/aliases/canary`);
      const versionId = 1 + Math.floor(Math.random() * latest);
      const other = 1 + Math.floor(Math.random() * latest);
      const update = { versionId, additionalVersionWeight: other === versionId ? {} : { [String(other)]: Math.round(Math.random() * 100) / 100 } };
      ledger.inFlight = update;
      const headers: Record<string, string> = current.status === 200 ? { 'if-match': current.headers.get('etag')! } : {};
      const res = await platform.api('PUT', `${fnPath(fn)}/aliases/canary`, update, headers);
      assert.equal(res.status, 200, res.text);
      ledger.acknowledged = res.json;
      ledger.inFlight = undefined;
    }
  } catch (error) {
    if (!killedUnderUs(error)) throw error;
  }
}

async function moreThan(acks: Acknowledged[], count: number, stop: () => boolean): Promise<void> {
  while (acks.length <= count && !stop()) await sleep(5);
}

async function allVersions(platform: TestPlatform, fn: string): Promise<Version[]> {
  const res = await platform.api('GET', `${fnPath(fn)}/versions?limit=100000`);
  assert.equal(res.status, 200, res.text);
  return res.json.versions;
}

async function checkConsistent(platform: TestPlatform, acks: Acknowledged[], ledgers: Map<string, AliasLedger>): Promise<void> {
  for (const fn of FUNCTIONS) {
    const summary = await platform.api('GET', fnPath(fn));
    if (summary.status === 404) {
      assert.equal(acks.filter((a) => a.fn === fn).length, 0, `${fn} vanished after acknowledged deploys`);
      continue;
    }
    const versions = await allVersions(platform, fn);
    const ids = versions.map((v) => v.id).reverse();
    assert.deepEqual(ids, ids.map((_, i) => i + 1), `${fn}: versions are contiguous from 1`);
    for (const ack of acks.filter((a) => a.fn === fn)) {
      assert.equal(versions.find((v) => v.id === ack.id)?.tree, ack.tree, `${fn} v${ack.id} was acknowledged and must survive`);
    }
    for (const version of versions) {
      const code = await platform.api('GET', `${fnPath(fn)}/code?version=${version.id}`);
      assert.equal(code.status, 200, `${fn} v${version.id}: tree ${version.tree} readable: ${code.text}`);
      assert.equal(code.json.tree, version.tree);
      for (const file of code.json.files as ManifestEntry[]) {
        const blob = join(platform.home, 'blobs', file.sha256.slice(0, 2), file.sha256);
        assert.equal(statSync(blob).size, file.size, `${fn} v${version.id}: blob of ${file.path} present and whole`);
      }
    }
    const aliases: Alias[] = summary.json.aliases;
    assert.ok(aliases.some((a) => a.name === 'live'), `${fn} has live`);
    for (const alias of aliases) {
      assert.ok(alias.versionId >= 1 && alias.versionId <= ids.length, `${fn}/${alias.name} → existing version`);
      for (const key of Object.keys(alias.additionalVersionWeight)) assert.ok(Number(key) <= ids.length, `${fn}/${alias.name} weight key ${key} exists`);
    }
    const ledger = ledgers.get(fn)!;
    const canary = aliases.find((a) => a.name === 'canary');
    if (ledger.acknowledged) {
      assert.ok(canary, `${fn}: acknowledged canary alias present`);
      const isAcknowledged = canary.etag === ledger.acknowledged.etag;
      const isInFlight =
        ledger.inFlight !== undefined &&
        canary.versionId === ledger.inFlight.versionId &&
        JSON.stringify(canary.additionalVersionWeight) === JSON.stringify(ledger.inFlight.additionalVersionWeight);
      assert.ok(isAcknowledged || isInFlight, `${fn}: canary is the last acknowledged update or the one in flight, got ${JSON.stringify(canary)}`);
    }
  }
}

it('keeps every acknowledged deploy and alias update, and every version whole, across kill -9', { timeout: 180_000 }, async () => {
  const home = tempHome();
  const args = ['--warm-pool', '0'];
  const acks: Acknowledged[] = [];
  const ledgers = new Map(FUNCTIONS.map((fn) => [fn, {} as AliasLedger]));
  let platform = await startPlatform({ home, args });
  try {
    await createEnv(platform, ENV, 'staging');
    for (let round = 0; round < ROUNDS; round++) {
      const workers = [
        ...FUNCTIONS.map((fn) => deployLoop(platform, fn, acks)),
        deployLoop(platform, FUNCTIONS[0], acks), // two deploys racing on one function
        ...FUNCTIONS.map((fn) => aliasLoop(platform, fn, ledgers.get(fn)!)),
      ];
      // Kill at a random moment once this round has had a deploy acknowledged (a worker's own
      // failure ends the wait at once).
      let over = false;
      const finished = Promise.all(workers).finally(() => (over = true));
      await Promise.race([finished, moreThan(acks, acks.length, () => over)]);
      await sleep(Math.random() * 500);
      await platform.kill9();
      await finished;
      platform = await startPlatform({ home, args });
      await checkConsistent(platform, acks, ledgers);
    }
    assert.ok(acks.length >= ROUNDS, `deploys were acknowledged (${acks.length})`);
  } finally {
    await platform.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
