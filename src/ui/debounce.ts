// Coalesces bursts (a deploy emits a dozen events) into one call after things go quiet.
import type * as vscode from 'vscode';

export class Debouncer implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly action: () => void,
  ) {}

  trigger(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.action();
    }, this.delayMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
