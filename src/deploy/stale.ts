// Which personal environments have outlived their branch: merged into the default branch (by a
// merge, or as GitHub's and GitLab's squash and rebase merges land it: as new commits with the same
// changes), deleted from the remote, or idle (no deploy, no request) longer than a TTL.
// `readBranchFacts` asks the git CLI; `findStale` is pure, so the CLI's `env prune` and the
// editor's tree share it.
// Production, staging and protected environments are never stale.

import { FlightdeckError } from '../errors';
import { belongsToProject, lastActivity, type Environment } from '../model';
import { pipeGit, runGit } from './git';

/** How a branch reached the default branch: its own commits, one squashed commit, or rebased copies. */
export type MergeKind = 'merge' | 'squash' | 'rebase';

export type StaleReason =
  | { kind: 'merged'; branch: string; into: string; how: MergeKind }
  | { kind: 'gone'; branch: string; remote: string }
  | { kind: 'idle'; idleMs: number; ttlMs: number };

export interface StaleEnvironment {
  environment: Environment;
  reasons: StaleReason[];
}

export interface StaleCriteria {
  merged?: boolean;
  gone?: boolean;
  /** Idle longer than this is stale. */
  idleMs?: number;
  /** Epoch ms; default Date.now(). */
  now?: number;
  /**
   * The project judging (flightdeck.yaml's `project:`): another project's environment is never
   * stale here, as its branches live in another repository (here they would all look gone).
   */
  project?: string;
  /** Environments flightdeck.yaml declares protected, whatever they recorded when created. */
  declaredProtected?: ReadonlySet<string>;
}

/**
 * Squash and rebase verdicts by `<default branch tip> <branch tip>`: neither can change while both
 * tips stay, so an owner that reads facts often (the editor's tree) keeps one and asks git less.
 */
export type MergeVerdicts = Map<string, MergeKind | null>;

/** Verdicts kept before an owner's map is cleared; each new commit on the default branch adds a set. */
const MAX_VERDICTS = 512;

/** What git knows about branches, read once. */
export interface BranchFacts {
  defaultBranch: string;
  /**
   * Merged branches and how: a tip in the default branch that is not its tip (a fresh branch is not
   * "merged"), or, for the branches asked about, changes that landed as other commits.
   */
  merged: Map<string, MergeKind>;
  /** Branches on the remote; undefined when there is no remote to ask. */
  remoteBranches?: Set<string>;
  remote?: string;
  /**
   * Local branches and the branch of `remote` each tracks (null: none there, as for a branch never
   * pushed): a local branch is gone when that one is, whatever it is called (a branch made from
   * origin/main tracks main, and is not gone while main is there).
   */
  upstreams: Map<string, string | null>;
  /**
   * The branches checked out here and in the repository's other worktrees: never merged or gone,
   * as `git branch -d` will not delete them either. Someone is working on them (a new branch with
   * no commits yet falls behind the default branch, which then "contains" it).
   */
  checkedOut?: ReadonlySet<string>;
}

const DAY_MS = 86_400_000;

export function findStale(environments: readonly Environment[], facts: BranchFacts | undefined, criteria: StaleCriteria): StaleEnvironment[] {
  const now = criteria.now ?? Date.now();
  return environments.flatMap((environment) => {
    if (!mayGoStale(environment) || !belongsToProject(environment, criteria.project) || criteria.declaredProtected?.has(environment.name)) return [];
    const reasons: StaleReason[] = [];
    const branch = environment.branch && facts?.checkedOut?.has(environment.branch) ? undefined : environment.branch;
    const how = branch ? facts?.merged.get(branch) : undefined;
    if (criteria.merged && facts && branch && how) reasons.push({ kind: 'merged', branch, into: facts.defaultBranch, how });
    if (criteria.gone && facts?.remoteBranches && facts.remote && branch && branch !== facts.defaultBranch) {
      // A local branch by what it tracks; a branch only the remote had (a colleague's, CI's) by its name.
      const tracked = facts.upstreams.has(branch) ? facts.upstreams.get(branch) : branch;
      if (tracked && !facts.remoteBranches.has(tracked)) reasons.push({ kind: 'gone', branch, remote: facts.remote });
    }
    if (criteria.idleMs !== undefined) {
      const idleMs = now - Date.parse(lastActivity(environment));
      if (idleMs > criteria.idleMs) reasons.push({ kind: 'idle', idleMs, ttlMs: criteria.idleMs });
    }
    return reasons.length > 0 ? [{ environment, reasons }] : [];
  });
}

/** Personal environments that are not protected: the only ones that may go stale. */
export function mayGoStale(environment: Environment): boolean {
  return environment.kind === 'personal' && !environment.protected;
}

/** The branches of the environments that may go stale for `project`. */
export function personalBranches(environments: readonly Environment[], project: string | undefined): string[] {
  return environments.flatMap((e) => (mayGoStale(e) && belongsToProject(e, project) && e.branch ? [e.branch] : []));
}

/** `merged into main`, `squash-merged into main`, `branch gone from origin`, `idle 9 d`. */
export function describeReason(reason: StaleReason): string {
  switch (reason.kind) {
    case 'merged': return `${reason.how === 'merge' ? 'merged' : `${reason.how}-merged`} into ${reason.into}`;
    case 'gone': return `branch gone from ${reason.remote}`;
    case 'idle': return `idle ${formatIdle(reason.idleMs)}`;
  }
}

/** Short badge for the tree: `merged`, `branch gone`, `idle 9 d`. */
export function reasonBadge(reason: StaleReason): string {
  return reason.kind === 'merged' ? 'merged' : reason.kind === 'gone' ? 'branch gone' : `idle ${formatIdle(reason.idleMs)}`;
}

export function formatIdle(ms: number): string {
  if (ms >= DAY_MS) return `${Math.floor(ms / DAY_MS)} d`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} min`;
  return `${Math.floor(ms / 1000)} s`;
}

/**
 * Reads the default branch (the remote's HEAD, else init.defaultBranch, else main or master),
 * the branches merged into it and the remote's branches: `ls-remote` asks the server (a branch
 * deleted there counts without a fetch; the CLI's prune), `tracking` reads the remote-tracking
 * refs as of the last fetch (no network; the editor's tree). Squash and rebase merges are looked
 * for only among `branches` (those with environments): each costs a few git processes, unless
 * `verdicts` already holds the answer for the same two tips.
 */
export async function readBranchFacts(
  cwd: string,
  options: { remote?: 'ls-remote' | 'tracking'; branches?: Iterable<string>; verdicts?: MergeVerdicts } = {},
): Promise<BranchFacts> {
  const remotes = (await gitLines(cwd, ['remote'])).filter(Boolean);
  const remote = remotes.includes('origin') ? 'origin' : remotes[0];
  const defaultBranch = await findDefaultBranch(cwd, remote, options.remote === 'ls-remote');
  const base = remote && (await gitOk(cwd, ['rev-parse', '--verify', '-q', `refs/remotes/${remote}/${defaultBranch}`])) ? `${remote}/${defaultBranch}` : defaultBranch;
  const [baseTip, worktrees] = await Promise.all([
    gitText(cwd, ['rev-parse', '--verify', '-q', base]),
    gitLines(cwd, ['worktree', 'list', '--porcelain']),
  ]);
  const checkedOut = new Set(worktrees.filter((line) => line.startsWith('branch refs/heads/')).map((line) => line.slice('branch refs/heads/'.length)));
  if (!baseTip) throw new FlightdeckError('GIT', `The default branch ${defaultBranch} has no commit in ${cwd}; fetch it (git fetch ${remote ?? ''}) first.`);
  const branchRefs = ['refs/heads', ...(remote ? [`refs/remotes/${remote}`] : [])];
  // Every branch ref once: its tip and its upstream; and which of them the default branch holds.
  const [listed, mergedRefs] = await Promise.all([
    gitLines(cwd, ['for-each-ref', '--format=%(refname) %(objectname) %(upstream)', ...branchRefs]).then((lines) => lines.map((line) => line.split(' '))),
    gitLines(cwd, ['for-each-ref', '--merged', base, '--format=%(refname)', ...branchRefs]).then((lines) => new Set(lines)),
  ]);
  const tips = new Map(listed.map(([ref, tip]) => [ref, tip]));
  const tracking = remote ? `refs/remotes/${remote}/` : undefined;
  const branchesUnder = (prefix: string) => listed.filter(([ref]) => ref.startsWith(prefix)).map(([ref, , upstream]) => ({ name: ref.slice(prefix.length), upstream }));
  const local = branchesUnder('refs/heads/');
  const upstreams = new Map(local.map((b) => [b.name, tracking && b.upstream?.startsWith(tracking) ? b.upstream.slice(tracking.length) : null]));
  // The remote's branches and tips: asked now (ls-remote), or as of the last fetch (tracking refs).
  const remoteTips = !remote || !options.remote ? undefined
    : options.remote === 'ls-remote' ? await listRemote(cwd, remote)
      : new Map(branchesUnder(tracking!).filter((b) => b.name !== 'HEAD').map((b) => [b.name, tips.get(`${tracking}${b.name}`)!]));
  /**
   * The commits a branch is at, each as a ref that holds it: the local branch's, and the remote's
   * (from the tracking ref when both agree; a tip not fetched is work nobody here has seen, so
   * undefined: not merged).
   */
  const tipRefsOf = (branch: string): string[] | undefined => {
    const refs = tips.has(`refs/heads/${branch}`) ? [`refs/heads/${branch}`] : [];
    const remoteTip = remoteTips ? remoteTips.get(branch) : tracking && tips.get(`${tracking}${branch}`);
    // Deleted from the remote (GitHub deletes a merged pull request's branch): the last tip fetched.
    if (remoteTip === undefined) return refs.length > 0 || !tips.has(`${tracking}${branch}`) ? refs : [`${tracking}${branch}`];
    const holder = [...refs, `${tracking}${branch}`].find((ref) => tips.get(ref) === remoteTip);
    return holder ? [...new Set([...refs, holder])] : undefined;
  };
  const merged = new Map<string, MergeKind>();
  const names = new Set([...local, ...(tracking ? branchesUnder(tracking) : [])].map((b) => b.name).filter((name) => name !== 'HEAD'));
  for (const name of names) {
    const refs = tipRefsOf(name);
    // Merged only when every tip is in the default branch, and none is its tip (a fresh branch is not "merged").
    if (name !== defaultBranch && refs?.length && refs.every((ref) => mergedRefs.has(ref) && tips.get(ref) !== baseTip)) merged.set(name, 'merge');
  }
  // The checked-out branch is never stale: no git processes to ask how it landed.
  const asked = [...new Set(options.branches ?? [])].filter((b) => b !== defaultBranch && !checkedOut.has(b) && !merged.has(b));
  if (asked.length > 0) {
    const verdicts = options.verdicts ?? new Map();
    if (verdicts.size > MAX_VERDICTS) verdicts.clear();
    const verdict = async (ref: string) => {
      const key = `${baseTip} ${tips.get(ref)}`;
      if (!verdicts.has(key)) verdicts.set(key, (await landedAs(cwd, base, ref)) ?? null);
      return verdicts.get(key) as MergeKind | null;
    };
    await Promise.all(asked.map(async (branch) => {
      // Deleted everywhere, `gone` says so; each tip it has must have landed.
      const refs = tipRefsOf(branch);
      if (!refs?.length) return;
      const hows = await Promise.all(refs.map((ref) => (mergedRefs.has(ref) && tips.get(ref) !== baseTip ? 'merge' : verdict(ref))));
      if (hows.every((how) => how)) merged.set(branch, hows.find((how) => how !== 'merge') ?? 'merge');
    }));
  }
  return { defaultBranch, merged, upstreams, remote, checkedOut, ...(remoteTips ? { remoteBranches: new Set(remoteTips.keys()) } : {}) };
}

/** The remote's branches and their tips, asked of the server. */
async function listRemote(cwd: string, remote: string): Promise<Map<string, string>> {
  const listing = await runGit(cwd, ['ls-remote', '--heads', remote], 30_000);
  if (listing.code !== 0) {
    throw new FlightdeckError('GIT', `Cannot list the branches of remote ${remote} (git ls-remote failed: ${listing.stderr.trim() || `exit ${listing.code}`}); check your network and credentials.`);
  }
  return new Map(listing.stdout.split('\n').filter(Boolean).map((line) => {
    const [tip, ref] = line.split('\t');
    return [ref.replace(/^refs\/heads\//, ''), tip];
  }));
}

/**
 * Whether a branch's changes reached `base` as other commits: every commit of it has a copy there
 * with the same patch (a rebase merge, `git cherry`), or the branch's whole change is one commit
 * there (a squash merge: the patch ids of its diff from the merge base and of that commit agree).
 */
async function landedAs(cwd: string, base: string, ref: string): Promise<MergeKind | undefined> {
  const cherry = await gitLines(cwd, ['cherry', base, ref]);
  if (cherry.length === 0) return undefined; // no commit of its own
  if (cherry.every((line) => line.startsWith('-'))) return 'rebase';
  const mergeBase = await gitText(cwd, ['merge-base', base, ref]);
  if (!mergeBase) return undefined;
  const diff = ['--no-color', '--no-ext-diff'];
  const [branchPatch] = (await pipeGit(cwd, ['diff', ...diff, mergeBase, ref], ['patch-id', '--stable'])).stdout.split(' ');
  if (!branchPatch) return undefined; // its commits cancel out
  const commits = await pipeGit(cwd, ['log', '--no-merges', '-p', ...diff, `${mergeBase}..${base}`], ['patch-id', '--stable']);
  return commits.stdout.split('\n').some((line) => line.startsWith(`${branchPatch} `)) ? 'squash' : undefined;
}

async function findDefaultBranch(cwd: string, remote: string | undefined, askRemote: boolean): Promise<string> {
  if (remote) {
    const head = await gitText(cwd, ['symbolic-ref', '--short', '-q', `refs/remotes/${remote}/HEAD`]);
    if (head) return head.slice(remote.length + 1);
    // A clone made before the remote had a branch knows no HEAD of it: the remote says which.
    const asked = askRemote ? /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec((await runGit(cwd, ['ls-remote', '--symref', remote, 'HEAD'], 30_000)).stdout) : null;
    if (asked) return asked[1];
  }
  const configured = await gitText(cwd, ['config', 'init.defaultBranch']);
  for (const candidate of [configured, 'main', 'master'].filter((b): b is string => Boolean(b))) {
    if (await gitOk(cwd, ['rev-parse', '--verify', '-q', `refs/heads/${candidate}`])) return candidate;
    if (remote && (await gitOk(cwd, ['rev-parse', '--verify', '-q', `refs/remotes/${remote}/${candidate}`]))) return candidate;
  }
  if (!(await gitOk(cwd, ['rev-parse', '--verify', '-q', 'HEAD']))) throw new FlightdeckError('GIT', `The repository of ${cwd} has no commits yet: commit first.`);
  throw new FlightdeckError('GIT', `Cannot tell the default branch of ${cwd}: set it with git remote set-head origin --auto, or git config init.defaultBranch <name>.`);
}

async function gitText(cwd: string, args: string[]): Promise<string | undefined> {
  const result = await runGit(cwd, args);
  return result.code === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
}

async function gitOk(cwd: string, args: string[]): Promise<boolean> {
  return (await runGit(cwd, args)).code === 0;
}

async function gitLines(cwd: string, args: string[]): Promise<string[]> {
  const result = await runGit(cwd, args);
  return result.code === 0 ? result.stdout.split('\n').filter((l) => l !== '') : [];
}
