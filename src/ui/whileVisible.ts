// Repeats an action while a view is visible and not at all while it is hidden: the Versions view's
// live figures poll the provider only when someone can see them. Shaped on vscode.TreeView's
// `visible` / `onDidChangeVisibility` but imports no vscode, so it is unit-tested in plain Node.
import type * as vscode from 'vscode';

export interface Visibility {
  readonly visible: boolean;
  onDidChangeVisibility(listener: (e: { readonly visible: boolean }) => unknown): vscode.Disposable;
}

export class WhileVisible implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  /** Runs `action` every `intervalMs` while `view` is visible, and once at once when it becomes visible. */
  constructor(
    view: Visibility,
    private readonly intervalMs: number,
    private readonly action: () => void,
  ) {
    this.subscription = view.onDidChangeVisibility((e) => this.set(e.visible, true));
    this.set(view.visible, false);
  }

  private set(visible: boolean, catchUp: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!visible) return;
    // What changed while it was hidden was never fetched: catch up now rather than one interval later.
    if (catchUp) this.action();
    this.timer = setInterval(this.action, this.intervalMs);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.subscription.dispose();
  }
}
