// Every operation that changes one function (deploy, alias change or delete, rollout start,
// action and step, restart) runs alone and in arrival order: two of them interleaving is how a
// restart came to move a slot an upgrade had already taken. One that waits longer than the limit
// for its turn is refused with 409 naming the operation it waited for, so nothing waits forever.
import { FlightdeckError } from '../errors';

/** How long an operation may wait for its function's earlier ones before it is refused. */
export const DEFAULT_OPERATION_WAIT_MS = 30_000;

interface Running {
  what: string;
  since: number;
}

interface FunctionChain {
  tail: Promise<unknown>;
  /** Operations queued or running; the chain is dropped when it reaches 0. */
  pending: number;
  running?: Running;
}

export class FunctionOperations {
  private readonly chains = new Map<string, FunctionChain>();

  constructor(private readonly waitLimitMs = DEFAULT_OPERATION_WAIT_MS) {}

  /** Runs `task` once every earlier operation on the function has finished; `what` names it in refusals. */
  run<T>(environment: string, fn: string, what: string, task: () => Promise<T>): Promise<T> {
    const key = `${environment}/${fn}`;
    let chain = this.chains.get(key);
    if (!chain) {
      chain = { tail: Promise.resolve(), pending: 0 };
      this.chains.set(key, chain);
    }
    const own = chain;
    own.pending++;
    let refused = false;
    const result = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        refused = true;
        const running = own.running;
        const busy = running ? `the ${running.what} that started ${Math.round((Date.now() - running.since) / 1000)} s ago` : 'earlier operations';
        reject(
          new FlightdeckError(
            'CONFLICT',
            `${environment}/${fn} is busy with ${busy}; this ${what} waited ${this.waitLimitMs / 1000} s for its turn and was not started. Try again once it ends.`,
          ),
        );
      }, this.waitLimitMs);
      timer.unref();
      own.tail = own.tail.then(async () => {
        clearTimeout(timer);
        if (refused) return;
        own.running = { what, since: Date.now() };
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        } finally {
          own.running = undefined;
        }
      });
    });
    void result.then(
      () => this.settle(key, own),
      () => this.settle(key, own),
    );
    return result;
  }

  private settle(key: string, chain: FunctionChain): void {
    if (--chain.pending === 0 && this.chains.get(key) === chain) this.chains.delete(key);
  }
}
