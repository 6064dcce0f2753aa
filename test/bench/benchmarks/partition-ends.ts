import { ChangeLog, type LogKeys, type RedisClient } from '@distributary/changelog';
import { compareIds } from '@distributary/core';

/**
 * When each partition's committed position of a sink first reached its end of the log (ms), polled:
 * with workers owning fixed shares, a worker whose partitions end first idles until the last one, so
 * the spread of these times is drain time that more workers cannot shorten.
 */
export class PartitionEnds {
  readonly at = new Map<number, number>();
  private readonly log: ChangeLog;

  constructor(
    redis: RedisClient,
    keys: LogKeys,
    partitions: number,
    private readonly sink: string,
    private readonly ends: Map<number, string>,
  ) {
    this.log = new ChangeLog(redis, keys, partitions);
  }

  /** Records the partitions that reached their end since the last call; true when every one has. */
  async observe(): Promise<boolean> {
    if (this.at.size === this.ends.size) return true;
    const positions = await this.log.positions.ofSink(this.sink);
    const now = Date.now();
    for (const [p, last] of this.ends) {
      const position = positions.get(p);
      if (!this.at.has(p) && position && compareIds(position, last) >= 0) this.at.set(p, now);
    }
    return this.at.size === this.ends.size;
  }
}
