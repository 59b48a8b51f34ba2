// The durable state and the control plane over it, without the HTTP server: start-up paths that
// must survive odd folders and environments deleted while the platform warms.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { FunctionRuntime } from '../../src/platform/contracts';
import { ControlPlane } from '../../src/platform/control';
import { FunctionOperations } from '../../src/platform/functionOps';
import { EventHub } from '../../src/platform/events';
import { DurableState, type FunctionRecord } from '../../src/platform/state';
import { DurableFiles } from '../../src/platform/store';
import type { BlobStore } from '../../src/platform/blobs';
import type { TreeStore } from '../../src/platform/trees';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function openState(): Promise<{ state: DurableState; root: string }> {
  const home = await mkdtemp(join(tmpdir(), 'fd-state-'));
  dirs.push(home);
  const root = join(home, 'state');
  return { state: await DurableState.open(root, new DurableFiles(home)), root };
}

function warmRecord(name: string): FunctionRecord {
  const version = { id: 1, config: { instances: { min: 1 } } } as unknown as FunctionRecord['versions'][number];
  return { name, created: new Date().toISOString(), versions: [version], aliases: [], rollouts: [] };
}

test('a plain file in the state folder is skipped, not a start-up failure', async () => {
  const { state, root } = await openState();
  await state.createEnvironment({ name: 'dev', created: new Date().toISOString() } as never);
  await writeFile(join(root, '.DS_Store'), 'junk');
  const reopened = await DurableState.open(root, new DurableFiles(join(root, '..')));
  assert.deepEqual(reopened.environments().map((e) => e.name), ['dev']);
});

test('warmAll skips an environment deleted while an earlier one was warming', async () => {
  const { state } = await openState();
  for (const env of ['a', 'b']) {
    await state.createEnvironment({ name: env, created: new Date().toISOString() } as never);
    await state.mutateFunction(env, 'f', () => ({ next: warmRecord('f'), result: undefined }));
  }
  const warmed: string[] = [];
  // Only ensureMinimum is reached by warmAll; deleting `b` from inside it reproduces the race.
  const runtime = {
    async ensureMinimum(env: string) {
      warmed.push(env);
      if (env === 'a') await state.deleteEnvironment('b', () => undefined);
    },
  } as unknown as FunctionRuntime;
  const control = new ControlPlane({
    state,
    trees: {} as TreeStore,
    blobs: {} as BlobStore,
    events: new EventHub(),
    runtime,
    operations: new FunctionOperations(),
    baseUrl: 'http://127.0.0.1:1',
    maxCodeBytes: 1,
    log: () => undefined,
  });
  await control.warmAll();
  assert.deepEqual(warmed, ['a']);
});

test("two functions' records are written side by side; one function's mutations, and an environment's deletion, wait their turn", async () => {
  const { state, root } = await openState();
  await state.createEnvironment({ name: 'dev', created: new Date().toISOString() } as never);
  const settled = new Set<string>();
  const seen: Record<string, string[]> = {};
  const mutate = (fn: string, label: string) => {
    const done = state.mutateFunction('dev', fn, () => {
      seen[label] = [...settled];
      return { next: warmRecord(fn), result: undefined };
    });
    void done.then(() => settled.add(label));
    return done;
  };
  const deleted = state.deleteEnvironment('dev', () => undefined).then(() => settled.add('delete'));
  const recreated = state.createEnvironment({ name: 'dev', created: new Date().toISOString() } as never);
  await Promise.all([deleted, recreated]);
  await Promise.all([mutate('a', 'a1'), mutate('b', 'b1'), mutate('a', 'a2')]);
  // b's change ran while a's first record was still being written; a's second waited for it.
  assert.deepEqual(seen.b1, ['delete']);
  assert.ok(seen.a2.includes('a1'), `a's second change ran after: ${seen.a2.join(', ')}`);
  const after = state.deleteEnvironment('dev', () => undefined);
  const late = state.mutateFunction('dev', 'a', () => ({ next: warmRecord('a'), result: undefined }));
  await after;
  await assert.rejects(late, /Environment "dev" does not exist/);
  const reopened = await DurableState.open(root, new DurableFiles(join(root, '..')));
  assert.deepEqual(reopened.environments(), []);
});

test("a note about a function shows at once and reaches the disk within the note delay, or with the record's next write", async () => {
  const { state, root } = await openState();
  const files = new DurableFiles(join(root, '..'));
  await state.createEnvironment({ name: 'dev', created: new Date().toISOString() } as never);
  for (const fn of ['a', 'b']) await state.mutateFunction('dev', fn, () => ({ next: warmRecord(fn), result: undefined }));
  const onDisk = async (fn: string) => (await DurableState.open(root, files)).fn('dev', fn)?.versions[0].health;
  const served = (record: FunctionRecord) => void (record.versions[0].health = 'healthy');
  await state.noteFunction('dev', 'a', served);
  await state.noteFunction('dev', 'b', served);
  assert.equal(state.fn('dev', 'a')?.versions[0].health, 'healthy', 'readers see the note at once');
  assert.equal(await onDisk('a'), undefined, 'no fsync for the note yet');
  assert.equal(await onDisk('b'), undefined);
  // The record's next mutation carries the note with it.
  await state.mutateFunction('dev', 'a', (current) => ({ next: { ...current!, rollouts: [], created: 'later' }, result: undefined }));
  assert.equal(await onDisk('a'), 'healthy');
  await state.saveNotes(); // what the timer and a graceful stop do
  assert.equal(await onDisk('b'), 'healthy');
  await assert.rejects(state.noteFunction('dev', 'gone', served), /Function "gone" does not exist/);
});
