// Runs a task over many items, a few at a time: enough to keep the thread pool or the network busy,
// few enough not to run out of file descriptors or memory on a large folder or project.

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
