// Words and figures shown for model objects, shared by the trees, the status bar and the pickers.
import {
  DEFAULT_ALIAS,
  formatPercent,
  trafficSplit,
  type FunctionSummary,
  type GateReading,
  type Rollout,
  type RolloutStatus,
  type Version,
  type VersionMetrics,
} from '../model';

const STATUS_WORDS: Record<RolloutStatus, string> = {
  running: 'running',
  paused: 'paused',
  waiting: 'waiting for continue',
  succeeded: 'done',
  completedUnverified: 'completed-unverified',
  rolledBack: 'rolled back',
  aborted: 'aborted',
};

export function rolloutStatusWord(status: RolloutStatus): string {
  return STATUS_WORDS[status];
}

/** `v12→v13 25% · step 2/4` */
export function rolloutProgress(rollout: Rollout): string {
  const step = Math.min(rollout.step + 1, rollout.totalSteps);
  return `v${rollout.fromVersion}→v${rollout.spec.toVersion} ${rollout.percent}% · step ${step}/${rollout.totalSteps}`;
}

/** Progress and state in one line: `v12→v13 25% · step 2/4 running`, or how it ended: `v13 rolled back to v12`. */
export function rolloutSummary(rollout: Rollout): string {
  const { fromVersion, spec } = rollout;
  switch (rollout.status) {
    case 'rolledBack':
      return `v${spec.toVersion} rolled back to v${fromVersion}`;
    case 'aborted':
      return `v${spec.toVersion} aborted, back on v${fromVersion}`;
    case 'succeeded':
    case 'completedUnverified':
      return `v${spec.toVersion} 100% · ${rolloutStatusWord(rollout.status)}${rollout.ungated ? ' (ungated)' : ''}`;
    default:
      return `${rolloutProgress(rollout)} ${rolloutStatusWord(rollout.status)}`;
  }
}

/** The gates' current figures against their limits, one per line. */
export function gateFigures(rollout: Rollout): string[] {
  const { gates } = rollout.spec;
  const reading: GateReading | undefined = rollout.reading;
  if (!reading) return [`Gates: error rate ≤ ${formatPercent(gates.maxErrorRate)}, p95 ≤ ${gates.maxP95Ms} ms, ≥ ${gates.minRequests} requests (no reading yet)`];
  if (reading.ungated) return [`Ungated: ${reading.ungated}; steps advance by time`];
  return [
    `Error rate ${formatPercent(reading.errorRate)} (max ${formatPercent(gates.maxErrorRate)})`,
    `p95 ${Math.round(reading.p95Ms)} ms (max ${gates.maxP95Ms} ms)`,
    `Requests ${reading.requests} (min ${gates.minRequests})`,
  ];
}

export function rolloutTooltip(rollout: Rollout): string {
  return [
    `Rollout of ${rollout.environment}/${rollout.function} (${rollout.spec.strategy}): ${rolloutStatusWord(rollout.status)}`,
    rolloutProgress(rollout),
    ...gateFigures(rollout),
    ...(rollout.reason ? [`Reason: ${rollout.reason}`] : []),
    ...(rollout.note ? [rollout.note] : []),
  ].join('\n');
}

/** `3 min ago`, coarse on purpose. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return 'just now';
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
  ];
  const [size, unit] = units.find(([s]) => seconds >= s) ?? [60, 'min'];
  return `${Math.floor(seconds / size)} ${unit} ago`;
}

/** `feature/login@1a2b3c4`, or what of it is known. */
export function sourceOf(version: Pick<Version, 'branch' | 'commit'>): string {
  const commit = version.commit?.slice(0, 7);
  if (version.branch && commit) return `${version.branch}@${commit}`;
  return version.branch ?? commit ?? '';
}

/**
 * What a function serves: `v3`; `v1 75% · v2 25%` while `live` is split; `live v2 · latest v3`
 * when live does not serve the newest version (e.g. after a rollback).
 */
export function servedVersionsText(summary: Pick<FunctionSummary, 'aliases' | 'latestVersion'>): string {
  if (summary.latestVersion === undefined) return 'no versions';
  const live = summary.aliases.find((a) => a.name === DEFAULT_ALIAS);
  if (!live) return `v${summary.latestVersion}`;
  const split = trafficSplit(live);
  if (split.length > 1) return split.map((s) => `v${s.versionId} ${formatPercent(s.weight)}`).join(' · ');
  if (live.versionId === summary.latestVersion) return `v${summary.latestVersion}`;
  return `live v${live.versionId} · latest v${summary.latestVersion}`;
}

/** `scaled to zero` with no instance (min 0: the next request starts one), else `2/3 ready`. */
export function instancesText(summary: Pick<FunctionSummary, 'instances' | 'config' | 'latestVersion'>): string | undefined {
  if (summary.latestVersion === undefined) return undefined;
  if (summary.instances.length === 0) return summary.config.instances.min === 0 ? 'scaled to zero' : 'no instance running';
  const ready = summary.instances.filter((i) => i.state === 'ready').length;
  return `${ready}/${summary.instances.length} ready`;
}

/** A version's last-minute figures: `42 req/min · 2.4% errors · p95 18 ms`. */
export function liveFiguresText(metrics: Pick<VersionMetrics, 'requests' | 'windowMs' | 'errorRate' | 'p95Ms'>): string {
  const perMinute = (metrics.requests * 60_000) / metrics.windowMs;
  const rate = perMinute >= 10 || Number.isInteger(perMinute) ? Math.round(perMinute) : perMinute.toFixed(1);
  if (metrics.requests === 0) return '0 req/min';
  return `${rate} req/min · ${formatPercent(metrics.errorRate)} errors · p95 ${Math.round(metrics.p95Ms)} ms`;
}
