// Bounds on how much runs at once: enough to keep the thread pool, the network or the cores busy,
// few enough not to run out of file descriptors or memory, or to swamp a laptop.

/** `task` on every item, at most `width` at once; results in the items' order. Rejects with the first failure. */
export async function mapInPool<T, R>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return results;
}

/** At most `size` holders at once; the others wait in the order they asked. */
export class Slots {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private size: number) {}

  /** Takes a slot if one is free. */
  tryTake(): boolean {
    if (this.held >= this.size) return false;
    this.held++;
    return true;
  }

  /** Resolves once the caller holds a slot. */
  take(): Promise<void> {
    return this.tryTake() ? Promise.resolve() : new Promise((go) => this.waiting.push(go));
  }

  /** Gives a slot back: to the next in line, else free. */
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }

  /** Runs `task` holding a slot. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.take();
    try {
      return await task();
    } finally {
      this.give();
    }
  }

  /** No bound from now on: everyone in line goes, and no later take waits. */
  lift(): void {
    this.size = Infinity;
    for (const go of this.waiting.splice(0)) {
      this.held++;
      go();
    }
  }
}
