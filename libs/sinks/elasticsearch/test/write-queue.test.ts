import { describe, expect, it } from 'vitest';
import { WriteQueue, type Pending } from '../src/write/write-queue';

function pending(key: string, n: number): Pending {
  return { key, body: `${key}:${n}`, bytes: 10, action: 'index', resolve: () => undefined, reject: () => undefined };
}

describe('bulk write queue', () => {
  it('never puts a key in two requests at once, and sends each key in its order', () => {
    const queue = new WriteQueue();
    const keys = ['a', 'b', 'c', 'd'];
    for (let n = 0; n < 50; n++) for (const key of keys) queue.push(pending(key, n));
    const sent = new Map<string, number[]>();
    const inFlight: Pending[][] = [];
    while (!queue.empty || inFlight.length > 0) {
      const request = queue.take(3, 1 << 20);
      if (request.length > 0) {
        const busy = new Set(inFlight.flat().map((p) => p.key));
        const keysInRequest = request.map((p) => p.key);
        expect(new Set(keysInRequest).size).toBe(keysInRequest.length);
        for (const key of keysInRequest) expect(busy.has(key)).toBe(false);
        inFlight.push(request);
      }
      if (inFlight.length >= 2 || request.length === 0) {
        const done = inFlight.shift() ?? [];
        for (const p of done) sent.set(p.key, [...(sent.get(p.key) ?? []), Number(p.body.split(':')[1])]);
        queue.finished(done);
      }
    }
    for (const key of keys) expect(sent.get(key)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });

  it('takes ready writes up to the byte limit, at least one', () => {
    const queue = new WriteQueue();
    for (let n = 0; n < 5; n++) queue.push({ ...pending(`k${n}`, n), bytes: 400 });
    expect(queue.readyBytes).toBe(2000);
    expect(queue.take(100, 1000)).toHaveLength(2);
    expect(queue.take(100, 10)).toHaveLength(1);
    expect(queue.readyCount).toBe(2);
  });
});
