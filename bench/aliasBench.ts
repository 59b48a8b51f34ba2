// Issue 2, alias weight change: how long the alias PUT takes through the real client, and the
// time from the PUT returning to the first gateway answer from the new version (both versions
// warm, so this is routing, not a cold start).
import { getOnce } from './load';
import { ms, type Report } from './report';
import { appConfig, deployApp, waitFor, withPlatform } from './session';
import { median, percentile, repeat, since } from './stats';

const SECTION = 'alias';
const FLIPS = 12;
const LIVE = '/fn/bench/app/';

interface Flip {
  putMs: number;
  effectMs: number;
  /** Answers from the old version after the PUT returned. */
  stale: number;
}

export async function benchAliasFlip(report: Report): Promise<void> {
  const flips = await withPlatform([], async (bench) => {
    await bench.provider.createEnvironment({ name: 'bench', kind: 'staging' });
    const config = (release: string) => appConfig({ RELEASE: release }, { min: 0, max: 4, idleTimeoutMs: 120_000 });
    await deployApp(bench, 'bench', 'app', config('1'));
    await deployApp(bench, 'bench', 'app', config('2'));
    return repeat(FLIPS, async (i): Promise<Flip> => {
      const target = i % 2 === 0 ? 1 : 2;
      // Warm the target version through its own URL so the flip measures routing only.
      await waitFor(`v${target} warm`, async () => ((await getOnce(bench.gateway, `/fn/bench/app:${target}/`)).status === 200 ? true : undefined));
      const start = performance.now();
      await bench.provider.updateAlias('bench', 'app', 'live', { versionId: target, additionalVersionWeight: {} });
      const putMs = since(start);
      const applied = performance.now();
      let stale = 0;
      for (;;) {
        const answer = await getOnce(bench.gateway, LIVE);
        if (answer.version === String(target)) return { putMs, effectMs: since(applied), stale };
        stale += 1;
        if (stale > 10_000) throw new Error(`live still answered by another version 10000 requests after the PUT to v${target}`);
      }
    });
  });
  const put = flips.map((f) => f.putMs);
  const effect = flips.map((f) => f.effectMs);
  const stale = flips.reduce((sum, f) => sum + f.stale, 0);
  report.add({
    section: SECTION,
    name: `alias PUT through LocalProvider.updateAlias (n=${FLIPS})`,
    value: `p50 ${ms(median(put))} / p95 ${ms(percentile(put, 95))}`,
    figures: { p50Ms: median(put), p95Ms: percentile(put, 95) },
    target: '',
  });
  report.add({
    section: SECTION,
    name: `PUT returned → first answer by the new version (n=${FLIPS})`,
    value: `p50 ${ms(median(effect))} / p95 ${ms(percentile(effect, 95))}; ${stale} old-version answers after PUT`,
    figures: { p50Ms: median(effect), p95Ms: percentile(effect, 95), staleAnswers: stale },
    target: '≤ 50 ms',
    pass: percentile(effect, 95) <= 50,
  });
}
