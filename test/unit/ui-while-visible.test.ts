// The Versions view's live figures refresh while the view is visible and not at all while hidden:
// WhileVisible against a view that is shown and hidden, with real timers.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { WhileVisible, type Visibility } from '../../src/ui/whileVisible';
import { poll } from '../helpers/wait';

const until = (what: string, done: () => boolean) =>
  poll(what, async () => (done() ? true : undefined), { timeoutMs: 5000, everyMs: 5 });

/** A view whose visibility the test flips, as the workbench does when the view is collapsed or shown. */
class FakeView implements Visibility {
  private readonly emitter = new EventEmitter();
  constructor(public visible: boolean) {}
  onDidChangeVisibility(listener: (e: { visible: boolean }) => unknown) {
    this.emitter.on('change', listener);
    return { dispose: () => this.emitter.off('change', listener) };
  }
  set(visible: boolean): void {
    this.visible = visible;
    this.emitter.emit('change', { visible });
  }
  listeners(): number {
    return this.emitter.listenerCount('change');
  }
}

const INTERVAL_MS = 20;

describe('WhileVisible', () => {
  it('repeats while visible, stops when hidden, catches up at once when shown again', async () => {
    const view = new FakeView(true);
    let runs = 0;
    const poller = new WhileVisible(view, INTERVAL_MS, () => runs++);
    try {
      await until('three runs while visible', () => runs >= 3);
      view.set(false);
      const hiddenAt = runs;
      await sleep(INTERVAL_MS * 10);
      assert.equal(runs, hiddenAt, 'ran while the view was hidden');
      view.set(true);
      assert.equal(runs, hiddenAt + 1, 'did not catch up at once when shown');
      await until('runs again while visible', () => runs >= hiddenAt + 3);
    } finally {
      poller.dispose();
    }
  });

  it('does nothing while it starts hidden, and nothing after dispose', async () => {
    const view = new FakeView(false);
    let runs = 0;
    const poller = new WhileVisible(view, INTERVAL_MS, () => runs++);
    await sleep(INTERVAL_MS * 5);
    assert.equal(runs, 0);
    view.set(true);
    await until('a run once visible', () => runs >= 2);
    poller.dispose();
    assert.equal(view.listeners(), 0, 'the visibility listener outlived dispose');
    const disposedAt = runs;
    await sleep(INTERVAL_MS * 5);
    assert.equal(runs, disposedAt);
  });
});
