// Named rollout presets in the style of AWS CodeDeploy's Lambda deployment configurations:
// `Canary10Percent5Minutes` (10% for 5 minutes, then 100%), `Linear10PercentEvery1Minute`
// (10% more every minute) and `AllAtOnce`.

export interface PresetPlan {
  /** Traffic percentages per step, ending at 100. */
  steps: number[];
  intervalMs: number;
}

const MINUTE = 60_000;

export function parsePreset(name: string): PresetPlan | undefined {
  if (name === 'AllAtOnce') return { steps: [100], intervalMs: 0 };
  const canary = /^Canary(\d{1,2})Percent(\d{1,3})Minutes?$/.exec(name);
  if (canary) {
    const percent = Number(canary[1]);
    if (percent < 1 || percent > 99) return undefined;
    return { steps: [percent, 100], intervalMs: Number(canary[2]) * MINUTE };
  }
  const linear = /^Linear(\d{1,2})PercentEvery(\d{1,3})Minutes?$/.exec(name);
  if (linear) {
    const percent = Number(linear[1]);
    if (percent < 1 || percent > 99) return undefined;
    const steps: number[] = [];
    for (let p = percent; p < 100; p += percent) steps.push(p);
    steps.push(100);
    return { steps, intervalMs: Number(linear[2]) * MINUTE };
  }
  return undefined;
}

export const PRESET_EXAMPLES = [
  'Canary10Percent5Minutes',
  'Canary10Percent15Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery3Minutes',
  'AllAtOnce',
] as const;
