// One status bar item for this workspace: its personal environment and live version when idle,
// a rollout's progress and state while one runs. Fed by platform events, never by polling.
import * as vscode from 'vscode';
import { DEFAULT_ALIAS, formatPercent, trafficSplit, type FunctionSummary, type PlatformEvent, type Rollout } from '../model';
import type { Provider } from '../provider';
import { rolloutSummary, rolloutTooltip } from './format';
import { isActive } from '../rollout/plan';

const ROLLOUT_ICONS: Record<Rollout['status'], string> = {
  running: 'sync~spin',
  paused: 'debug-pause',
  waiting: 'watch',
  succeeded: 'pass',
  completedUnverified: 'warning',
  rolledBack: 'error',
  aborted: 'circle-slash',
};

const ENDED_ROLLOUT_SHOWN_MS = 30_000;

/** What the idle text shows: the personal environment and its functions' live versions. */
interface IdleState {
  environment: string;
  functions: FunctionSummary[];
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('flightdeck.status', vscode.StatusBarAlignment.Left, 50);
  private idle: IdleState | undefined;
  private rollout: Rollout | undefined;
  private connected = true;
  /** Which provider and account, e.g. `Local platform (127.0.0.1:7420)`. */
  private providerText: string | undefined;
  private dismissTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.item.name = 'Flightdeck';
    this.item.command = 'flightdeck.statusBarActions';
    this.render();
  }

  /** The rollout shown, if any: active, or ended and not yet dismissed. */
  get shownRollout(): Rollout | undefined {
    return this.rollout;
  }

  text(): string {
    return this.item.text;
  }

  tooltip(): string {
    const tooltip = this.item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }

  setProvider(text: string): void {
    this.providerText = text;
    this.render();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.render();
  }

  /** Re-reads the personal environment (after a refresh) and any active rollout in it. */
  async reload(provider: Provider, personalEnvironment: string | undefined): Promise<void> {
    if (!personalEnvironment) {
      this.idle = undefined;
    } else {
      const environments = await provider.listEnvironments();
      const exists = environments.some((e) => e.name === personalEnvironment);
      const functions = exists ? await provider.listFunctions(personalEnvironment) : [];
      this.idle = { environment: personalEnvironment, functions };
      const active = functions.map((f) => f.rollout).find((r) => r && isActive(r));
      if (active && !(this.rollout && isActive(this.rollout))) this.rollout = active;
    }
    this.render();
  }

  onEvent(event: PlatformEvent): void {
    const rollout = event.rollout;
    if (event.type !== 'rollout.updated' || !rollout) return;
    const shown = this.rollout;
    // Follow the rollout shown until it ends; then any other rollout's news takes over.
    if (shown && shown.id !== rollout.id && isActive(shown)) return;
    this.rollout = rollout;
    this.scheduleDismiss(rollout);
    this.render();
  }

  /** A finished rollout stays a while to be seen; a rolled-back one until dismissed. */
  private scheduleDismiss(rollout: Rollout): void {
    clearTimeout(this.dismissTimer);
    if (rollout.status === 'succeeded' || rollout.status === 'aborted') {
      this.dismissTimer = setTimeout(() => this.dismissRollout(), ENDED_ROLLOUT_SHOWN_MS);
    }
  }

  /** Back to the idle text once an ended rollout has been seen. */
  dismissRollout(): void {
    clearTimeout(this.dismissTimer);
    if (this.rollout && !isActive(this.rollout)) this.rollout = undefined;
    this.render();
  }

  private render(): void {
    this.item.text = this.renderText();
    this.item.tooltip = this.providerText ? `${this.renderTooltip()}\n\nOn ${this.providerText}` : this.renderTooltip();
    this.item.backgroundColor =
      this.rollout?.status === 'rolledBack' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  private renderText(): string {
    if (!this.connected) return '$(debug-disconnect) Flightdeck: platform not reachable';
    if (this.rollout) {
      return `$(${ROLLOUT_ICONS[this.rollout.status]}) ${rolloutSummary(this.rollout)}`;
    }
    if (!this.idle) return '$(rocket) Flightdeck';
    const live = this.idle.functions.map(liveSplit).find((split) => split !== undefined);
    return `$(rocket) ${this.idle.environment}${live !== undefined ? ` ${live}` : ''}`;
  }

  private renderTooltip(): string {
    if (!this.connected) return 'The Flightdeck platform is not reachable. Click for actions.';
    if (this.rollout) return `${rolloutTooltip(this.rollout)}\n\nClick for rollout actions.`;
    if (!this.idle) return 'Flightdeck: no personal environment for this workspace yet. Click to deploy.';
    const lines = this.idle.functions.map((f) => `${f.name}: ${liveSplit(f) ?? 'no version'} — ${f.url}`);
    return [`Personal environment ${this.idle.environment}`, ...(lines.length ? lines : ['Not deployed yet']), '', 'Click for actions.'].join('\n');
  }

  dispose(): void {
    clearTimeout(this.dismissTimer);
    this.item.dispose();
  }
}

/** `v12`, or with a canary `v12 · v13 10%` (the primary's share is implied). */
function liveSplit(summary: FunctionSummary): string | undefined {
  const live = summary.aliases.find((a) => a.name === DEFAULT_ALIAS);
  if (!live) return undefined;
  const [primary, ...others] = trafficSplit(live);
  return [`v${primary.versionId}`, ...others.map((s) => `v${s.versionId} ${formatPercent(s.weight)}`)].join(' · ');
}
