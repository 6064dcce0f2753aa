import { mulberry32 } from '@distributary/testkit';

/** A small seeded PRNG (testkit's mulberry32), so a chaos run can be replayed with --seed. */
export class Random {
  readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Text of about `length` characters that does not compress (so it is TOASTed out of line). */
  incompressible(length: number): string {
    let text = '';
    while (text.length < length) text += (this.next() * 2 ** 52).toString(36);
    return text.slice(0, length);
  }
}
