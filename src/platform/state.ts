// The durable state: environments and, per function, one record holding its versions, aliases
// and rollouts. Each function record is one file rewritten atomically, so a deploy (new version
// + `live` moved) or an alias update lands wholly or not at all, whenever the process dies.
// Reads come from memory; every mutation goes through one queue, so read-modify-write cycles of
// a record never interleave: a function's mutations run one after another (other functions' beside
// them), and creating or deleting an environment runs alone.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FlightdeckError } from '../errors';
import type { Alias, Environment, Rollout, Version } from '../model';
import { PRIVATE_DIR_MODE } from './privacy';
import { type DurableFiles, LaneQueue, readJsonIfExists } from './store';

export interface FunctionRecord {
  name: string;
  created: string;
  /** Ascending by id: 1, 2, 3 … The last one holds the function's latest code and config. */
  versions: Version[];
  aliases: Alias[];
  /** Oldest first; the last is the active or most recent rollout. */
  rollouts: Rollout[];
}

interface EnvironmentEntry {
  environment: Environment;
  functions: Map<string, FunctionRecord>;
}

/** Rollout records kept per function; older ones are dropped so the record stays small. */
const ROLLOUT_HISTORY = 20;

/**
 * Notes (activity stamps, health the runtime observed) are saved this long after they change: a
 * request is too frequent to write each time, and a note lost to a crash is one the platform makes
 * again (the next request stamps, the next start proves).
 */
const NOTE_SAVE_MS = 2000;

export type ActivityField = 'lastDeploy' | 'lastRequest';

export class DurableState {
  private readonly queue = new LaneQueue();
  /** Environments whose activity stamps changed since they were last written. */
  private readonly unsavedActivity = new Set<string>();
  /** Function records (by file) changed by a note since they were last written. */
  private readonly unsavedRecords = new Map<string, { env: string; fn: string }>();
  private noteTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly root: string,
    private readonly files: DurableFiles,
    private readonly envs: Map<string, EnvironmentEntry>,
  ) {}

  static async open(root: string, files: DurableFiles): Promise<DurableState> {
    await mkdir(root, { recursive: true, mode: PRIVATE_DIR_MODE });
    const envs = new Map<string, EnvironmentEntry>();
    // Only folders are environments; stray files (an editor's, the OS's) are not ours to judge.
    const folders = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const name of folders.sort()) {
      const entry = await loadEnvironment(join(root, name));
      if (entry) envs.set(name, entry);
    }
    return new DurableState(root, files, envs);
  }

  // ---- reads ----

  environments(): Environment[] {
    return [...this.envs.values()].map((e) => e.environment);
  }

  environment(name: string): Environment | undefined {
    return this.envs.get(name)?.environment;
  }

  requireEnvironment(name: string): Environment {
    const env = this.environment(name);
    if (!env) throw new FlightdeckError('NOT_FOUND', `Environment ${JSON.stringify(name)} does not exist (deleted, or never created).`);
    return env;
  }

  functions(env: string): FunctionRecord[] {
    this.requireEnvironment(env);
    return [...this.envs.get(env)!.functions.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  fn(env: string, fn: string): FunctionRecord | undefined {
    return this.envs.get(env)?.functions.get(fn);
  }

  requireFunction(env: string, fn: string): FunctionRecord {
    this.requireEnvironment(env);
    const record = this.fn(env, fn);
    if (!record) throw new FlightdeckError('NOT_FOUND', `Function ${JSON.stringify(fn)} does not exist in environment ${JSON.stringify(env)}; deploy it first.`);
    return record;
  }

  // ---- mutations (queued) ----

  createEnvironment(environment: Environment): Promise<Environment> {
    return this.queue.exclusive(async () => {
      if (this.envs.has(environment.name)) {
        throw new FlightdeckError('CONFLICT', `Environment ${JSON.stringify(environment.name)} already exists.`, { field: 'name' });
      }
      const dir = join(this.root, environment.name);
      await this.files.makeDirDurable(join(dir, 'functions'));
      await this.files.writeJsonAtomic(join(dir, 'environment.json'), environment);
      this.envs.set(environment.name, { environment, functions: new Map() });
      return environment;
    });
  }

  /** Renames the folder out of the state first (one atomic step), then deletes it at leisure. */
  deleteEnvironment(name: string, check: (environment: Environment) => void): Promise<void> {
    return this.queue.exclusive(async () => {
      check(this.requireEnvironment(name));
      const trash = this.files.tempPath(`deleted-${name}`);
      await rename(join(this.root, name), trash);
      await this.files.fsyncDir(this.root);
      this.envs.delete(name);
      await rm(trash, { recursive: true, force: true });
    });
  }

  /**
   * The one read-modify-write path for a function: `change` gets a private copy of the current
   * record (undefined for a new function) and returns the next record plus a result. Throwing
   * from `change` writes nothing; returning the same copy unchanged skips the write.
   */
  mutateFunction<T>(
    env: string,
    fn: string,
    change: (current: FunctionRecord | undefined) => { next: FunctionRecord; result: T },
  ): Promise<T> {
    const file = this.functionFile(env, fn);
    return this.queue.run(file, async () => {
      this.requireEnvironment(env);
      const current = this.fn(env, fn);
      const copy = current && structuredClone(current);
      const { next, result } = change(copy);
      if (JSON.stringify(next) !== JSON.stringify(current)) {
        await this.files.writeJsonAtomic(file, next);
        this.envs.get(env)!.functions.set(fn, next);
        this.unsavedRecords.delete(file); // the write carried its notes
      }
      return result;
    });
  }

  saveRollout(rollout: Rollout): Promise<void> {
    return this.mutateFunction(rollout.environment, rollout.function, (current) => {
      if (!current) throw new FlightdeckError('NOT_FOUND', `Function ${rollout.function} does not exist in ${rollout.environment}.`);
      const others = current.rollouts.filter((r) => r.id !== rollout.id);
      current.rollouts = [...others, rollout].slice(-ROLLOUT_HISTORY);
      return { next: current, result: undefined };
    });
  }

  rollouts(env: string, fn: string): Rollout[] {
    return this.fn(env, fn)?.rollouts ?? [];
  }

  /** Every function's most recent rollout, so active ones resume after a restart. */
  latestRollouts(): Rollout[] {
    return [...this.envs.values()].flatMap((e) => [...e.functions.values()].flatMap((f) => f.rollouts.slice(-1)));
  }

  /** Stamps an environment's last deploy or request now in memory; it reaches the disk within NOTE_SAVE_MS. */
  noteActivity(name: string, field: ActivityField, time: string): void {
    const entry = this.envs.get(name);
    if (!entry) return;
    entry.environment = { ...entry.environment, [field]: time };
    this.unsavedActivity.add(name);
    this.saveNotesSoon();
  }

  /**
   * Changes a function's record in memory, in turn with its mutations, for what the runtime
   * observed (a version served, or crash-loops); it reaches the disk within NOTE_SAVE_MS, or with
   * the record's next mutation. Ten new functions' first requests then cost no ten fsyncs.
   */
  noteFunction(env: string, fn: string, change: (current: FunctionRecord) => void): Promise<void> {
    const file = this.functionFile(env, fn);
    return this.queue.run(file, async () => {
      const current = this.fn(env, fn);
      if (!current) throw new FlightdeckError('NOT_FOUND', `Function ${JSON.stringify(fn)} does not exist in environment ${JSON.stringify(env)}.`);
      const next = structuredClone(current);
      change(next);
      if (JSON.stringify(next) === JSON.stringify(current)) return;
      this.envs.get(env)!.functions.set(fn, next);
      this.unsavedRecords.set(file, { env, fn });
      this.saveNotesSoon();
    });
  }

  private saveNotesSoon(): void {
    this.noteTimer ??= setTimeout(() => void this.saveNotes(), NOTE_SAVE_MS).unref();
  }

  /** Writes the activity stamps and function notes not yet on disk (also called on shutdown). */
  saveNotes(): Promise<void> {
    clearTimeout(this.noteTimer);
    this.noteTimer = undefined;
    const names = [...this.unsavedActivity];
    this.unsavedActivity.clear();
    const environments = names.map((name) => {
      const file = join(this.root, name, 'environment.json');
      return this.queue.run(file, async () => {
        const entry = this.envs.get(name);
        if (entry) await this.files.writeJsonAtomic(file, entry.environment);
      });
    });
    const records = [...this.unsavedRecords].map(([file, { env, fn }]) =>
      this.queue.run(file, async () => {
        if (!this.unsavedRecords.delete(file)) return; // a mutation wrote it meanwhile
        const record = this.fn(env, fn);
        if (record) await this.files.writeJsonAtomic(file, record);
      }),
    );
    return Promise.all([...environments, ...records]).then(() => undefined);
  }

  /** Resolves when every mutation queued so far is on disk. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private functionFile(env: string, fn: string): string {
    return join(this.root, env, 'functions', `${fn}.json`);
  }
}

/** An environment folder without its environment.json is a create that never finished: skip it. */
async function loadEnvironment(dir: string): Promise<EnvironmentEntry | undefined> {
  const environment = await readStateFile<Environment>(join(dir, 'environment.json'));
  if (!environment) return undefined;
  const functions = new Map<string, FunctionRecord>();
  const files = await readdir(join(dir, 'functions')).catch(() => [] as string[]);
  for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
    const record = await readStateFile<FunctionRecord>(join(dir, 'functions', file));
    if (record) functions.set(record.name, record);
  }
  return { environment, functions };
}

async function readStateFile<T>(file: string): Promise<T | undefined> {
  try {
    return await readJsonIfExists<T>(file);
  } catch (error) {
    throw new FlightdeckError(
      'INTERNAL',
      `State file ${file} cannot be read (${(error as Error).message}); move it aside to start without it.`,
    );
  }
}
