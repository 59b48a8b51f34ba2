// Which personal environments have outlived their branch: merged into the default branch (by a
// merge, or as GitHub's and GitLab's squash and rebase merges land it: as new commits with the same
// changes), deleted from the remote, or idle (no deploy, no request) longer than a TTL.
// `readBranchFacts` asks the git CLI; `findStale` is pure, so the CLI's `env prune` and the
// editor's tree share it.
// Production, staging and protected environments are never stale.

import type { ProjectConfig } from '../config/projectFile';
import { FlightdeckError } from '../errors';
import { belongsToProject, lastActivity, type Environment } from '../model';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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
   * Merged branches and how: every tip of the branch known here (the local branch, what it tracks,
   * the remote's branch of that name) is in the default branch and none is its tip (a fresh branch
   * is not "merged"), or, for the branches asked about, its changes landed as other commits.
   */
  merged: Map<string, MergeKind>;
  /**
   * Branches deleted from `remote`, with no work of theirs left only here: the remote has no
   * branch of that name, and a local branch of it is behind what it tracked, which the remote no
   * longer has either. Undefined when no remote was asked (none, or several and none is origin).
   */
  gone?: Set<string>;
  remote?: string;
  /** Why no remote was asked, when none was. */
  noRemote?: string;
  /**
   * The branches checked out here and in the repository's other worktrees: never merged or gone,
   * as `git branch -d` will not delete them either. Someone is working on them (a new branch with
   * no commits yet falls behind the default branch, which then "contains" it).
   */
  checkedOut?: ReadonlySet<string>;
  /** A shallow clone: merges before its history are not seen. */
  shallow?: boolean;
}

const DAY_MS = 86_400_000;
/** A tip that could not be read: no commit has it, so its branch is never merged. */
const UNKNOWN_TIP = 'unknown';

export function findStale(environments: readonly Environment[], facts: BranchFacts | undefined, criteria: StaleCriteria): StaleEnvironment[] {
  const now = criteria.now ?? Date.now();
  return environments.flatMap((environment) => {
    if (!mayGoStale(environment) || !belongsToProject(environment, criteria.project) || criteria.declaredProtected?.has(environment.name)) return [];
    const reasons: StaleReason[] = [];
    const branch = environment.branch && facts?.checkedOut?.has(environment.branch) ? undefined : environment.branch;
    const how = branch ? facts?.merged.get(branch) : undefined;
    if (criteria.merged && facts && branch && how) reasons.push({ kind: 'merged', branch, into: facts.defaultBranch, how });
    if (criteria.gone && facts?.remote && branch && branch !== facts.defaultBranch && facts.gone?.has(branch)) reasons.push({ kind: 'gone', branch, remote: facts.remote });
    if (criteria.idleMs !== undefined) {
      const idleMs = now - Date.parse(lastActivity(environment));
      if (idleMs > criteria.idleMs) reasons.push({ kind: 'idle', idleMs, ttlMs: criteria.idleMs });
    }
    return reasons.length > 0 ? [{ environment, reasons }] : [];
  });
}

/** The environments flightdeck.yaml declares protected (StaleCriteria.declaredProtected). */
export function declaredProtected(project: Pick<ProjectConfig, 'environments'>): Set<string> {
  return new Set(project.environments.filter((e) => e.protected).map((e) => e.name));
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
 * Reads the default branch, the branches merged into it and those gone from the remote:
 * `ls-remote` asks the server (the remote's HEAD names the default branch, its tips are the
 * branches' own, and a branch deleted there counts without a fetch; the CLI's prune), `tracking`
 * reads the remote-tracking refs as of the last fetch (no network; the editor's tree). The remote
 * is origin, else the only one, else the one the checked-out branch tracks. Squash and rebase
 * merges are looked for only among `branches` (those with environments): each costs a few git
 * processes, unless `verdicts` already holds the answer for the same two tips.
 */
export async function readBranchFacts(
  cwd: string,
  options: { remote?: 'ls-remote' | 'tracking'; branches?: Iterable<string>; verdicts?: MergeVerdicts } = {},
): Promise<BranchFacts> {
  const [remotes, worktrees, shallow, listed] = await Promise.all([
    gitLines(cwd, ['remote']),
    gitLines(cwd, ['worktree', 'list', '--porcelain']),
    gitText(cwd, ['rev-parse', '--is-shallow-repository']),
    // Every branch ref once: its tip, and for a local branch the remote and branch it tracks.
    gitLines(cwd, ['for-each-ref', '--format=%(refname) %(objectname) %(upstream:remotename) %(upstream:remoteref)', 'refs/heads', 'refs/remotes'])
      .then((lines) => lines.map((line) => line.split(' '))),
  ]);
  const checkedOut = new Set([
    ...worktrees.filter((line) => line.startsWith('branch refs/heads/')).map((line) => line.slice('branch refs/heads/'.length)),
    ...(await branchesInProgress(worktrees)),
  ]);
  const tips = new Map(listed.map(([ref, tip]) => [ref, tip]));
  const upstreams = new Map(listed.filter(([ref, , remote, branch]) => ref.startsWith('refs/heads/') && remote && branch?.startsWith('refs/heads/'))
    .map(([ref, , remote, branch]) => [ref.slice('refs/heads/'.length), { remote, branch: branch.slice('refs/heads/'.length) }]));
  const current = await gitText(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  const remote = remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : current ? upstreams.get(current)?.remote : undefined;
  const noRemote = remote ? undefined : remotes.length === 0 ? 'the repository has no remote' : `it has several remotes (${remotes.join(', ')}) and none is origin`;
  const tracking = (name: string, on = remote) => `refs/remotes/${on}/${name}`;
  // The remote's branches and tips: asked now, or as of the last fetch.
  const asked = remote && options.remote === 'ls-remote' ? await listRemote(cwd, remote) : undefined;
  const remoteTips = asked?.tips ?? (remote && options.remote === 'tracking'
    ? new Map(listed.filter(([ref]) => ref.startsWith(tracking('')) && ref !== tracking('HEAD')).map(([ref, tip]) => [ref.slice(tracking('').length), tip]))
    : undefined);
  // Asked, the remote's word only: a local origin/HEAD may name anything (git remote set-head).
  const defaultBranch = asked ? (asked.head ?? (await likelyDefault(cwd, [...asked.tips.keys()]))) : await findDefaultBranch(cwd, remote);
  // What the other remotes that branches here track (forks) have now, asked too; unreachable, unknown.
  const others = new Map(await Promise.all([...new Set([...upstreams.values()].map((u) => u.remote))].filter((other) => asked && other !== remote)
    .map(async (other) => [other, (await listRemote(cwd, other).catch(() => undefined))?.tips] as const)));
  // The default branch as the remote has it, if that commit is here; else as fetched, or local.
  const remoteBase = asked?.tips.get(defaultBranch);
  const baseTip = remoteBase ?? tips.get(remote ? tracking(defaultBranch) : '') ?? tips.get(`refs/heads/${defaultBranch}`);
  if (!baseTip) throw new FlightdeckError('GIT', `The default branch ${defaultBranch} has no commit in ${cwd}; fetch it (git fetch ${remote ?? ''}) first.`);
  if (remoteBase && !(await gitOk(cwd, ['cat-file', '-e', `${remoteBase}^{commit}`]))) {
    throw new FlightdeckError('GIT', `${remote}'s ${defaultBranch} has commits this clone has not fetched: run git fetch ${remote}, then prune again.`);
  }
  // The tips of the refs the default branch holds.
  const mergedTips = new Set(await gitLines(cwd, ['for-each-ref', '--merged', baseTip, '--format=%(objectname)', 'refs/heads', 'refs/remotes']));
  // A commit the remote has that is not here is work nobody here has seen: never merged.
  const tipsHere = new Set(tips.values());
  const known = async (sha: string) => tipsHere.has(sha) || (await gitOk(cwd, ['cat-file', '-e', `${sha}^{commit}`]));

  /** Every commit a branch is at: its local tip, what it tracks, the remote's branch of its name. */
  const tipsOf = (branch: string): string[] => {
    const upstream = upstreams.get(branch);
    const candidates = [
      tips.get(`refs/heads/${branch}`),
      upstream && (upstream.remote === remote && remoteTips ? (remoteTips.get(upstream.branch) ?? tips.get(tracking(upstream.branch))) : otherTip(upstream)),
      remoteTips ? (remoteTips.get(branch) ?? (tips.has(`refs/heads/${branch}`) ? undefined : tips.get(tracking(branch)))) : undefined,
    ];
    return [...new Set(candidates.filter((tip): tip is string => tip !== undefined))];
  };
  /** A fork's tip: as asked now (a commit not fetched is unseen work), or as last fetched when not asked; UNKNOWN when it could not be asked. */
  function otherTip(upstream: { remote: string; branch: string }): string | undefined {
    if (!others.has(upstream.remote)) return tips.get(tracking(upstream.branch, upstream.remote));
    const listing = others.get(upstream.remote);
    return listing ? (listing.get(upstream.branch) ?? tips.get(tracking(upstream.branch, upstream.remote))) : UNKNOWN_TIP;
  }
  const isMergedTip = (sha: string) => sha !== baseTip && mergedTips.has(sha);
  const merged = new Map<string, MergeKind>();
  const wanted = new Set(options.branches ?? []);
  const names = new Set([...wanted, ...[...tips.keys()].filter((ref) => ref.startsWith('refs/heads/')).map((ref) => ref.slice('refs/heads/'.length))]);
  const verdicts = options.verdicts ?? new Map<string, MergeKind | null>();
  if (verdicts.size > MAX_VERDICTS) verdicts.clear();
  const verdict = async (sha: string): Promise<MergeKind | null> => {
    const key = `${baseTip} ${sha}`;
    if (!verdicts.has(key)) verdicts.set(key, (await landedAs(cwd, baseTip, sha)) ?? null);
    return verdicts.get(key) as MergeKind | null;
  };
  await Promise.all([...names].map(async (branch) => {
    if (branch === defaultBranch || checkedOut.has(branch)) return;
    const shas = tipsOf(branch);
    if (shas.length === 0) return;
    if (shas.every(isMergedTip)) {
      merged.set(branch, 'merge');
      return;
    }
    // Squash and rebase merges only for the branches asked about, each tip one that is here.
    if (!wanted.has(branch) || !(await Promise.all(shas.map(known))).every(Boolean)) return;
    const hows = await Promise.all(shas.map((sha) => (isMergedTip(sha) ? 'merge' : verdict(sha))));
    if (hows.every((how) => how)) merged.set(branch, hows.find((how) => how !== 'merge') ?? 'merge');
  }));
  const gone = remoteTips && new Set(await goneBranches(cwd, [...wanted], { remote: remote!, remoteTips, tips, upstreams, baseTip, tracking }));
  return {
    defaultBranch, merged, checkedOut, shallow: shallow === 'true',
    ...(remote ? { remote } : {}), ...(noRemote ? { noRemote } : {}), ...(gone ? { gone } : {}),
  };
}

/**
 * The branches gone from the remote, with no work of theirs left only here. A branch the remote
 * has is not gone. A local branch is gone only when what it tracks (on this remote) is gone too,
 * and its tip is in what that branch last was here (when a fetch has not pruned that), or in the
 * default branch: commits beyond are unpushed work (a branch started from a colleague's, or worked
 * on after its merge). A branch with no local copy (a colleague's, CI's) is gone when the remote
 * lacks its name.
 */
async function goneBranches(
  cwd: string,
  branches: string[],
  known: {
    remote: string; remoteTips: Map<string, string>; tips: Map<string, string>; baseTip: string;
    upstreams: Map<string, { remote: string; branch: string }>; tracking: (name: string, on?: string) => string;
  },
): Promise<string[]> {
  const verdicts = await Promise.all(branches.map(async (branch) => {
    if (known.remoteTips.has(branch)) return false;
    const local = known.tips.get(`refs/heads/${branch}`);
    if (local === undefined) return true;
    const upstream = known.upstreams.get(branch);
    if (!upstream || upstream.remote !== known.remote || known.remoteTips.has(upstream.branch)) return false;
    // What it tracked, as last fetched: commits beyond it were never pushed. Pruned by a fetch,
    // that is unknown, and git's own [gone] stands.
    const last = known.tips.get(known.tracking(upstream.branch));
    if (last === undefined) return true;
    const contained = async (base: string) => local === base || (await gitOk(cwd, ['merge-base', '--is-ancestor', local, base]));
    return (await contained(last)) || (await contained(known.baseTip));
  }));
  return branches.filter((_, i) => verdicts[i]);
}

/** The remote's HEAD branch and its branches' tips, asked of the server. */
async function listRemote(cwd: string, remote: string): Promise<{ head?: string; tips: Map<string, string> }> {
  const listing = await runGit(cwd, ['ls-remote', '--symref', remote, 'HEAD', 'refs/heads/*'], 30_000);
  if (listing.code !== 0) {
    throw new FlightdeckError('GIT', `Cannot list the branches of remote ${remote} (git ls-remote failed: ${listing.stderr.trim() || `exit ${listing.code}`}); check your network and credentials.`);
  }
  const lines = listing.stdout.split('\n').filter(Boolean);
  const head = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(lines.find((line) => line.startsWith('ref: ')) ?? '')?.[1];
  const tips = new Map(lines.filter((line) => line.includes('\trefs/heads/') && !line.startsWith('ref: ')).map((line) => {
    const [tip, ref] = line.split('\t');
    return [ref.slice('refs/heads/'.length), tip];
  }));
  return { ...(head ? { head } : {}), tips };
}

/**
 * Whether a branch's changes reached `base` as other commits: every commit of it has its own copy
 * there with the same patch (a rebase merge; counted, so one patch twice needs two copies), or the
 * branch's whole change is one commit there (a squash merge: the patch ids of its diff from the
 * merge base and of that commit agree). Patch ids are taken verbatim: whitespace is part of a
 * change (a re-indent moves a line into a block), which `git cherry` would ignore.
 */
async function landedAs(cwd: string, base: string, ref: string): Promise<MergeKind | undefined> {
  const patchIds = async (from: string[]) => {
    const verbatim = await pipeGit(cwd, from, ['patch-id', '--verbatim']);
    const result = verbatim.code === 0 ? verbatim : await pipeGit(cwd, from, ['patch-id', '--stable']); // git before 2.39 has no --verbatim
    return result.stdout.split('\n').filter(Boolean).map((line) => line.split(' ')[0]);
  };
  const mergeBase = await gitText(cwd, ['merge-base', base, ref]);
  if (!mergeBase) return undefined;
  const diff = ['--no-color', '--no-ext-diff'];
  const log = (range: string) => patchIds(['log', '--no-merges', '-p', ...diff, range]);
  const [own, landed] = await Promise.all([log(`${mergeBase}..${ref}`), log(`${mergeBase}..${base}`)]);
  if (own.length === 0) return undefined; // no change of its own
  const copies = new Map<string, number>();
  for (const id of landed) copies.set(id, (copies.get(id) ?? 0) + 1);
  if (own.every((id) => {
    const left = copies.get(id) ?? 0;
    copies.set(id, left - 1);
    return left > 0;
  })) return 'rebase';
  const [branchPatch] = await patchIds(['diff', ...diff, mergeBase, ref]);
  if (!branchPatch) return undefined; // its commits cancel out
  return landed.includes(branchPatch) ? 'squash' : undefined;
}

/** The remote's default branch when its HEAD names none (an unborn HEAD): init.defaultBranch, main or master among its branches. */
async function likelyDefault(cwd: string, remoteBranches: string[]): Promise<string> {
  const found = (await defaultCandidates(cwd)).find((b) => remoteBranches.includes(b));
  if (found) return found;
  throw new FlightdeckError('GIT', `The remote's HEAD names no branch, and it has no main or master: set its HEAD to the default branch (git symbolic-ref HEAD refs/heads/<name> on the server, or your host's default-branch setting).`);
}

/**
 * Branches whose worktree is detached only because git is in the middle of something on them: a
 * rebase (rebase-merge/ or rebase-apply/head-name) or a bisect (BISECT_START). `git branch -d`
 * refuses those too.
 */
async function branchesInProgress(worktrees: string[]): Promise<string[]> {
  const paths: string[] = [];
  let path: string | undefined;
  for (const line of worktrees) {
    if (line.startsWith('worktree ')) path = line.slice('worktree '.length);
    else if (line === 'detached' && path) paths.push(path);
  }
  const found = await Promise.all(paths.map(async (worktree) => {
    const files = await gitLines(worktree, ['rev-parse', '--git-path', 'rebase-merge/head-name', '--git-path', 'rebase-apply/head-name', '--git-path', 'BISECT_START']);
    const names = await Promise.all(files.map((file) => readFile(resolve(worktree, file), 'utf8').then((text) => text.trim(), () => undefined)));
    return names.flatMap((name) => (name ? [name.replace(/^refs\/heads\//, '')] : []));
  }));
  return found.flat();
}

/** The names a default branch likely has, likeliest first: init.defaultBranch, main, master. */
async function defaultCandidates(cwd: string): Promise<string[]> {
  const configured = await gitText(cwd, ['config', 'init.defaultBranch']);
  return [configured, 'main', 'master'].filter((b): b is string => Boolean(b));
}

/** The default branch as this clone knows it (the remote's HEAD as fetched, else init.defaultBranch, main or master). */
async function findDefaultBranch(cwd: string, remote: string | undefined): Promise<string> {
  if (remote) {
    const head = await gitText(cwd, ['symbolic-ref', '--short', '-q', `refs/remotes/${remote}/HEAD`]);
    if (head) return head.slice(remote.length + 1);
  }
  for (const candidate of await defaultCandidates(cwd)) {
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
