// What the views and the status bar say about rollouts and versions, and what the weight prompt
// accepts: the words people read, pinned down.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FUNCTION_DEFAULTS, type Alias, type FunctionSummary, type Instance, type Rollout } from '../../src/model';
import { age, gateFigures, instancesText, liveFiguresText, rolloutProgress, rolloutStatusWord, rolloutTooltip, servedVersionsText, sourceOf } from '../../src/ui/format';
import { parsePercent, weightProblem } from '../../src/ui/input';

function rollout(overrides: Partial<Rollout> = {}): Rollout {
  return {
    id: 'r1',
    environment: 'alice-feature-login',
    function: 'api',
    spec: { strategy: 'canary', alias: 'live', toVersion: 13, steps: [10, 25, 50, 100], intervalMs: 30_000, gates: { maxErrorRate: 0.01, maxP95Ms: 500, minRequests: 20 } },
    fromVersion: 12,
    status: 'running',
    step: 1,
    totalSteps: 4,
    percent: 25,
    stepStarted: '2026-01-01T00:00:00.000Z',
    started: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('rollout wording', () => {
  it('shows progress as from→to, share and step', () => {
    assert.equal(rolloutProgress(rollout()), 'v12→v13 25% · step 2/4');
    assert.equal(rolloutProgress(rollout({ step: 4, percent: 100, status: 'succeeded' })), 'v12→v13 100% · step 4/4');
  });

  it('names every state the way people say it', () => {
    assert.equal(rolloutStatusWord('waiting'), 'waiting for continue');
    assert.equal(rolloutStatusWord('rolledBack'), 'rolled back');
    assert.equal(rolloutStatusWord('succeeded'), 'done');
  });

  it('puts the gates current figures against their limits', () => {
    const figures = gateFigures(rollout({ reading: { requests: 40, errorRate: 0.031, p95Ms: 612.4 } }));
    assert.deepEqual(figures, ['Error rate 3.1% (max 1%)', 'p95 612 ms (max 500 ms)', 'Requests 40 (min 20)']);
    assert.match(gateFigures(rollout())[0], /no reading yet/);
    const ungated = { requests: 0, errorRate: 0, p95Ms: 0, ungated: 'CloudMonitor refused the metrics read (Forbidden.RAM, HTTP 403)' };
    assert.deepEqual(gateFigures(rollout({ reading: ungated })), ['Ungated: CloudMonitor refused the metrics read (Forbidden.RAM, HTTP 403); steps advance by time']);
  });

  it('says why a rollout rolled back in its tooltip', () => {
    const tooltip = rolloutTooltip(rollout({ status: 'rolledBack', reason: 'error rate 3.1% over 1%' }));
    assert.match(tooltip, /rolled back/);
    assert.match(tooltip, /Reason: error rate 3\.1% over 1%/);
  });
});

describe('version wording', () => {
  it('says how old a version is, coarsely', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.equal(age('2026-01-01T11:59:30Z', now), 'just now');
    assert.equal(age('2026-01-01T11:57:00Z', now), '3 min ago');
    assert.equal(age('2026-01-01T09:00:00Z', now), '3 h ago');
    assert.equal(age('2025-12-30T12:00:00Z', now), '2 d ago');
  });

  it('shows branch@commit, or what of it is known', () => {
    assert.equal(sourceOf({ branch: 'feature/login', commit: '1a2b3c4d5e6f' }), 'feature/login@1a2b3c4');
    assert.equal(sourceOf({ branch: 'main' }), 'main');
    assert.equal(sourceOf({}), '');
  });
});

describe('typed canary weight', () => {
  it('accepts percentages from 0 to 100, with or without %', () => {
    for (const text of ['0', '10', '2.5', '25%', ' 100 ']) assert.equal(weightProblem(text), undefined, text);
    assert.equal(parsePercent('25%'), 25);
  });

  it('says what is wrong with anything else', () => {
    assert.match(weightProblem('') ?? '', /not a number/);
    assert.match(weightProblem('ten') ?? '', /'ten' is not a number/);
    assert.match(weightProblem('101') ?? '', /101% is out of range/);
    assert.match(weightProblem('-1') ?? '', /out of range/);
  });
});

describe('function row', () => {
  const live = (versionId: number, extra: Record<string, number> = {}): Alias => ({
    name: 'live', versionId, additionalVersionWeight: extra, etag: '"1"', updated: '2026-01-01T00:00:00Z',
  });
  const fn = (overrides: Partial<FunctionSummary>): FunctionSummary => ({
    environment: 'alice-feature-login', name: 'api', url: 'http://127.0.0.1:7420/fn/alice-feature-login/api/',
    config: { runtime: 'nodejs', handler: 'index.handler', instances: { ...FUNCTION_DEFAULTS.instances }, env: {}, timeoutMs: 30_000 },
    latestVersion: 2, aliases: [live(2)], instances: [], ...overrides,
  });
  const instance = (state: Instance['state']): Instance => ({ id: state, slot: 0, versionId: 2, state, inFlight: 0, started: '2026-01-01T00:00:00Z', restarts: 0 });

  it('says what live serves: one version, a split, or an older one than the latest', () => {
    assert.equal(servedVersionsText(fn({})), 'v2');
    assert.equal(servedVersionsText(fn({ aliases: [live(1, { 2: 0.25 })] })), 'v1 75% · v2 25%');
    assert.equal(servedVersionsText(fn({ aliases: [live(1)] })), 'live v1 · latest v2');
    assert.equal(servedVersionsText(fn({ latestVersion: undefined, aliases: [] })), 'no versions');
  });

  it('says a function with no instance is scaled to zero, not 0/0 ready', () => {
    assert.equal(instancesText(fn({})), 'scaled to zero');
    assert.equal(instancesText(fn({ instances: [instance('ready'), instance('starting')] })), '1/2 ready');
    const warm = fn({});
    warm.config.instances.min = 1;
    assert.equal(instancesText(warm), 'no instance running');
    assert.equal(instancesText(fn({ latestVersion: undefined })), undefined);
  });
});

describe('live figures of a version', () => {
  it('reads requests per minute, error rate and p95 over the window', () => {
    assert.equal(liveFiguresText({ requests: 42, windowMs: 60_000, errorRate: 0.024, p95Ms: 17.6 }), '42 req/min · 2.4% errors · p95 18 ms');
    assert.equal(liveFiguresText({ requests: 3, windowMs: 120_000, errorRate: 0, p95Ms: 4 }), '1.5 req/min · 0% errors · p95 4 ms');
    assert.equal(liveFiguresText({ requests: 0, windowMs: 60_000, errorRate: 0, p95Ms: 0 }), '0 req/min');
  });
});
