// Garbage collection of the state folder, so disk stays flat over months of deploys: versions
// past each environment kind's retention are pruned from their function's record (never the
// latest, nor one an alias, an active rollout or a running instance uses), then blobs, trees and
// working folders that no remaining version references are deleted. Runs after an environment is
// deleted, periodically, and on demand (`POST /v1/gc`, `flightdeck gc [--dry-run]`).
//
// Crash-safe: pruning is an atomic rewrite of each function record, and only what no record
// references is deleted, so a kill -9 at any point leaves at most some garbage for next time.
// Deploys and collection exclude each other from a deploy's blob check to its publish, and blobs
// just uploaded (or reported present to a client about to deploy) are kept for a while, so a
// deploy never loses the blobs it is about to reference.
import { lstat, readdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FlightdeckError } from '../errors';
import { ENVIRONMENT_KINDS, type EnvironmentKind, type GarbageReport } from '../model';
import type { BlobStore } from './blobs';
import type { Log } from './control';
import { servedVersions } from './control';
import type { HomeLayout } from './paths';
import type { DurableState, FunctionRecord } from './state';
import type { TreeStore } from './trees';

/** Versions kept per function, by environment kind; `undefined` keeps all. */
export type Retention = Record<EnvironmentKind, number | undefined>;

export const DEFAULT_RETENTION: Retention = { production: undefined, staging: 50, personal: 50 };

/** How long an uploaded blob no version uses yet is kept (the deploy that uses it follows its upload). */
const FRESH_MS = 10 * 60_000;
/** Deletions per turn of the exclusive gate, so deploys are not held up for a whole sweep. */
const DELETE_BATCH = 256;

/** `production=all,staging=50,personal=20`: kinds left out keep their default. */
export function parseRetention(text: string): Retention {
  const retention = { ...DEFAULT_RETENTION };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [kind, value] = part.split('=');
    if (!ENVIRONMENT_KINDS.includes(kind as EnvironmentKind)) {
      throw new Error(`--keep-versions: ${JSON.stringify(kind)} is not an environment kind (${ENVIRONMENT_KINDS.join(', ')}).`);
    }
    const count = Number(value);
    if (value !== 'all' && !(Number.isSafeInteger(count) && count >= 1)) {
      throw new Error(`--keep-versions: ${kind} must keep "all" or a whole number of versions from 1, not ${JSON.stringify(value)}.`);
    }
    retention[kind as EnvironmentKind] = value === 'all' ? undefined : count;
  }
  return retention;
}

export interface CollectorOptions {
  layout: HomeLayout;
  state: DurableState;
  trees: TreeStore;
  blobs: BlobStore;
  /** Versions of the function with a process now or one starting (their working folders stay). */
  versionsInUse(environment: string, fn: string): Set<number>;
  retention: Retention;
  log: Log;
}

/** Readers (deploys between their blob check and their publish) share it; a sweep has it alone. */
class CodeGate {
  private readers = 0;
  private writer: Promise<void> | undefined;
  private readonly idle: (() => void)[] = [];

  async shared<T>(task: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    this.readers++;
    try {
      return await task();
    } finally {
      if (--this.readers === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    let done!: () => void;
    this.writer = new Promise((resolve) => (done = resolve));
    try {
      while (this.readers > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      return await task();
    } finally {
      this.writer = undefined;
      done();
    }
  }
}

export class GarbageCollector {
  private readonly gate = new CodeGate();
  /** Blob and tree hashes just uploaded or reported present, with when they were marked. */
  private readonly fresh = new Map<string, number>();
  /**
   * Hashes a deploy uses, with when it ended (Infinity while it runs): kept until a collection
   * that started after the deploy ended, whose reading of the state includes its version.
   */
  private readonly deploying = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private soonTimer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;

  constructor(private readonly options: CollectorOptions) {}

  /** Keeps these blobs or trees for a while though no version references them yet. */
  protect(hashes: Iterable<string>): void {
    const now = Date.now();
    for (const hash of hashes) this.fresh.set(hash, now);
  }

  /**
   * Runs a deploy from reading its code to its publish so that no sweep deletes in between, and
   * what it `use`s stays until a collection that sees its version.
   */
  async whileDeploying<T>(task: (use: (hashes: readonly string[]) => void) => Promise<T>): Promise<T> {
    return this.gate.shared(async () => {
      const used: string[] = [];
      const use = (hashes: readonly string[]) => {
        for (const hash of hashes) {
          // From here the deploy protects it, and then its version's references do.
          this.fresh.delete(hash);
          this.deploying.set(hash, Infinity);
        }
        used.push(...hashes);
      };
      try {
        return await task(use);
      } finally {
        const ended = Date.now();
        for (const hash of used) this.deploying.set(hash, ended);
      }
    });
  }

  private isProtected(hash: string): boolean {
    return this.fresh.has(hash) || this.deploying.has(hash);
  }

  /** One collection at a time; a dry run deletes nothing and reports what a collection would free. */
  collect(dryRun: boolean): Promise<GarbageReport> {
    const run = this.queue.then(() => this.run(dryRun));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A collection shortly (after an environment delete); several requests in a row make one. */
  soon(delayMs = 1000): void {
    if (this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.collectAndLog('after an environment delete');
    }, delayMs);
    this.soonTimer.unref();
  }

  /** Collects every `intervalMs` while the platform runs. */
  every(intervalMs: number): void {
    this.interval = setInterval(() => this.collectAndLog('periodic'), intervalMs);
    this.interval.unref();
  }

  close(): void {
    clearTimeout(this.soonTimer);
    clearInterval(this.interval);
  }

  private collectAndLog(why: string): void {
    this.collect(false).then(
      (report) => {
        if (report.freedBytes > 0 || report.versions > 0) this.options.log(`garbage collection (${why}): ${describeReport(report)}`);
      },
      (error: Error) => this.options.log(`garbage collection (${why}) failed: ${error.message}`),
    );
  }

  private async run(dryRun: boolean): Promise<GarbageReport> {
    const started = Date.now();
    for (const [hash, marked] of this.fresh) if (marked < started - FRESH_MS) this.fresh.delete(hash);
    for (const [hash, ended] of this.deploying) if (ended < started) this.deploying.delete(hash);
    const report: GarbageReport = {
      dryRun,
      versions: 0,
      pruned: [],
      blobs: { count: 0, bytes: 0 },
      trees: { count: 0, bytes: 0 },
      codeFolders: { count: 0, bytes: 0 },
      freedBytes: 0,
    };
    const records = await this.pruneVersions(dryRun, report);
    const trees = new Set(records.flatMap(({ record }) => record.versions.map((v) => v.tree)));
    const blobs = new Set<string>();
    for (const tree of trees) for (const entry of (await this.options.trees.get(tree)) ?? []) blobs.add(entry.sha256);
    await this.sweepTrees(trees, dryRun, report);
    await this.sweepBlobs(blobs, dryRun, report);
    await this.sweepCode(records, dryRun, report);
    report.freedBytes = report.blobs.bytes + report.trees.bytes + report.codeFolders.bytes;
    return report;
  }

  /** Prunes each function's versions past its retention; returns every record as it is now (or would be). */
  private async pruneVersions(dryRun: boolean, report: GarbageReport): Promise<{ environment: string; record: FunctionRecord }[]> {
    const { state, retention } = this.options;
    const records: { environment: string; record: FunctionRecord }[] = [];
    for (const environment of state.environments()) {
      if (!state.environment(environment.name)) continue; // deleted meanwhile
      const keep = retention[environment.kind];
      for (const current of state.functions(environment.name)) {
        const env = environment.name;
        const fn = current.name;
        const dropped = keep === undefined ? [] : this.prunable(env, current, keep);
        let record = current;
        if (dropped.length > 0 && !dryRun) {
          record = await state
            .mutateFunction(env, fn, (latest) => {
              if (!latest) throw new FlightdeckError('NOT_FOUND', `${env}/${fn} was deleted meanwhile`);
              const gone = new Set(this.prunable(env, latest, keep!));
              latest.versions = latest.versions.filter((v) => !gone.has(v.id));
              return { next: latest, result: latest };
            })
            .catch(() => state.fn(env, fn) ?? current);
        } else if (dropped.length > 0) {
          const gone = new Set(dropped);
          record = { ...current, versions: current.versions.filter((v) => !gone.has(v.id)) };
        }
        if (dropped.length > 0) {
          report.versions += dropped.length;
          report.pruned.push({ environment: env, function: fn, versions: dropped });
        }
        records.push({ environment: env, record });
      }
    }
    return records;
  }

  /** Versions an alias or an active rollout serves, or a process runs or is starting. */
  private usedVersions(environment: string, record: FunctionRecord): Set<number> {
    const used = servedVersions(record);
    for (const id of this.options.versionsInUse(environment, record.name)) used.add(id);
    return used;
  }

  /** Ids of versions past the newest `keep` that nothing uses. */
  private prunable(environment: string, record: FunctionRecord, keep: number): number[] {
    const used = this.usedVersions(environment, record);
    return record.versions.slice(0, Math.max(0, record.versions.length - keep)).filter((v) => !used.has(v.id)).map((v) => v.id);
  }

  private async sweepTrees(referenced: ReadonlySet<string>, dryRun: boolean, report: GarbageReport): Promise<void> {
    const root = this.options.layout.trees;
    const names = await readdir(root).catch(() => [] as string[]);
    const doomed = names.filter((name) => name.endsWith('.json') && !referenced.has(name.slice(0, -5))).map((name) => join(root, name));
    await this.deleteFiles(doomed, (path) => !this.isProtected(path.slice(root.length + 1, -5)), dryRun, report.trees);
  }

  private async sweepBlobs(referenced: ReadonlySet<string>, dryRun: boolean, report: GarbageReport): Promise<void> {
    const root = this.options.layout.blobs;
    const doomed: string[] = [];
    for (const prefix of await readdir(root).catch(() => [] as string[])) {
      for (const name of await readdir(join(root, prefix)).catch(() => [] as string[])) {
        if (!referenced.has(name)) doomed.push(join(root, prefix, name));
      }
    }
    await this.deleteFiles(doomed, (path) => !this.isProtected(basename(path)), dryRun, report.blobs);
  }

  /** Deletes the files `stillDoomed` confirms inside the gate (so no deploy is between its check and its publish), a batch at a time. */
  private async deleteFiles(paths: string[], stillDoomed: (path: string) => boolean, dryRun: boolean, tally: { count: number; bytes: number }): Promise<void> {
    for (let i = 0; i < paths.length; i += DELETE_BATCH) {
      const batch = paths.slice(i, i + DELETE_BATCH);
      await this.gate.exclusive(async () => {
        for (const path of batch) {
          if (!stillDoomed(path)) continue;
          const size = await lstat(path).then((s) => s.size, () => undefined);
          if (size === undefined) continue;
          if (!dryRun && !(await unlink(path).then(() => true, () => false))) continue;
          tally.count++;
          tally.bytes += size;
        }
      });
    }
  }

  /**
   * Working folders of versions that are gone, or that nothing serves and no process runs (one
   * brought back later starts from a fresh copy), and anything else under code/ (folders of an
   * older layout) but its package scope.
   */
  private async sweepCode(records: { environment: string; record: FunctionRecord }[], dryRun: boolean, report: GarbageReport): Promise<void> {
    const { trees, layout } = this.options;
    const kept = this.keptWorkDirs(records);
    const doomed: string[] = [];
    const visit = async (dir: string, depth: number): Promise<void> => {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const path = join(dir, name);
        if (kept.has(path) || path === layout.codeScope) continue;
        // code/<env>/<fn>/<id>: descend while something below may be kept.
        if (depth < 2 && holds(kept, path)) await visit(path, depth + 1);
        else doomed.push(path);
      }
    };
    await visit(layout.code, 0);
    // Asked again as each folder goes: a version may have started, or begun proving it starts, since.
    const stillDoomed = (path: string) => () => !holds(this.keptWorkDirs(this.liveRecords()), path);
    for (const path of doomed) {
      const size = await treeSize(path);
      if (!dryRun && !(await trees.removeWorkDir(path, stillDoomed(path)))) continue;
      report.codeFolders.count++;
      report.codeFolders.bytes += size;
    }
  }

  /** Working folders of the versions something serves or runs, or is starting. */
  private keptWorkDirs(records: readonly { environment: string; record: FunctionRecord }[]): Set<string> {
    const kept = new Set<string>();
    for (const { environment, record } of records) {
      const used = this.usedVersions(environment, record);
      for (const version of record.versions) if (used.has(version.id)) kept.add(this.options.trees.workDirPath(version));
    }
    return kept;
  }

  private liveRecords(): { environment: string; record: FunctionRecord }[] {
    const { state } = this.options;
    return state.environments().flatMap((e) => state.functions(e.name).map((record) => ({ environment: e.name, record })));
  }
}

/** Whether `path` is one of `kept` or holds one. */
function holds(kept: ReadonlySet<string>, path: string): boolean {
  const prefix = `${path}/`;
  return kept.has(path) || [...kept].some((k) => k.startsWith(prefix));
}

/** Bytes of the files under `path`. */
async function treeSize(path: string): Promise<number> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await treeSize(join(path, name));
  return total;
}

export function describeReport(report: GarbageReport): string {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const verb = report.dryRun ? 'would free' : 'freed';
  return (
    `${verb} ${mb(report.freedBytes)}: ${report.versions} version(s) pruned, ${report.blobs.count} blob(s) (${mb(report.blobs.bytes)}), ` +
    `${report.trees.count} tree(s), ${report.codeFolders.count} working folder(s) (${mb(report.codeFolders.bytes)})`
  );
}
