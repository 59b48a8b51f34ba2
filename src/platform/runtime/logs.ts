// One function's log lines: an in-memory ring (the newest LOG_CAPACITY lines) plus live followers.
import type { LogLine } from '../../provider';

const LOG_CAPACITY = 5000;
const DEFAULT_TAIL = 200;

interface Follower {
  version: number | undefined;
  onLine: (line: LogLine) => void;
  onEnd: () => void;
}

export class FunctionLogs {
  private lines: LogLine[] = [];
  private readonly followers = new Set<Follower>();

  add(line: LogLine): void {
    this.lines.push(line);
    // Trim in one go at twice the capacity so adding stays O(1) amortised.
    if (this.lines.length > 2 * LOG_CAPACITY) this.lines = this.lines.slice(-LOG_CAPACITY);
    for (const follower of this.followers) {
      if (follower.version === undefined || follower.version === line.versionId) follower.onLine(line);
    }
  }

  tail(options: { version?: number; tail?: number }): LogLine[] {
    const count = Math.max(0, options.tail ?? DEFAULT_TAIL);
    const matching = options.version === undefined ? this.lines : this.lines.filter((l) => l.versionId === options.version);
    return count === 0 ? [] : matching.slice(-Math.min(count, LOG_CAPACITY));
  }

  /** `onEnd` is called when no more lines will come: the function was deleted (or the platform stops). */
  follow(version: number | undefined, onLine: (line: LogLine) => void, onEnd: () => void): () => void {
    const follower = { version, onLine, onEnd };
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  end(): void {
    const followers = [...this.followers];
    this.followers.clear();
    for (const follower of followers) follower.onEnd();
  }
}
