/**
 * A counting semaphore. PgSourceRows takes one slot per pooled connection it is about to use,
 * so the pool never has more users than connections: nobody waits inside pg's pool (where waiting
 * counts against the connect timeout), and nobody holds a slot while waiting for another.
 */
export class Slots {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}
