import type { Lsn } from '@distributary/core';

/** Lets a snapshot runner wait until the connector has everything up to an LSN durably in the log. */
export class DurableLsn {
  private current: Lsn = 0n;
  private waiters: { lsn: Lsn; resolve: () => void }[] = [];

  get lsn(): Lsn {
    return this.current;
  }

  /** Called by the connector after each durable append. */
  advance(lsn: Lsn): void {
    if (lsn <= this.current) return;
    this.current = lsn;
    const ready = this.waiters.filter((w) => w.lsn <= lsn);
    this.waiters = this.waiters.filter((w) => w.lsn > lsn);
    for (const waiter of ready) waiter.resolve();
  }

  waitFor(lsn: Lsn): Promise<void> {
    if (lsn <= this.current) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ lsn, resolve }));
  }
}
