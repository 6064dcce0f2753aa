/**
 * TopNWindow against a model: random transactions (enter, move, leave, delete) over a small key
 * space with a tiny spare (K = 1), so windows run starved often. After every transaction the window
 * holds at most N + K rows; when it is starved it is refilled the way the subscriber does (load the
 * first N + K of the model, `complete` when they are all); then the client's rows, patched by the
 * window's diff, equal the model's first N in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Row } from '@distributary/core';
import { rowComparator } from './row-order';
import { TopNWindow } from './top-n';

const compare = rowComparator(
  'public.t',
  [{ column: 'price', direction: 'desc' }],
  ['id'],
  [
    { name: 'id', typeOid: 23 },
    { name: 'price', typeOid: 23 },
  ],
);

type Change = { id: number; price: number | null | undefined }; // undefined: deleted / out of the filter

const change: fc.Arbitrary<Change> = fc.record({
  id: fc.integer({ min: 0, max: 11 }),
  price: fc.option(fc.option(fc.integer({ min: 0, max: 5 }), { freq: 5 }), { freq: 2, nil: undefined }),
});

const keyOf = (id: number) => `k${id}`;

function firstRows(model: Map<number, Row>, count: number): [string, { key: Row; row: Row }][] {
  return [...model.values()]
    .sort(compare)
    .slice(0, count)
    .map((row) => [keyOf(row.id as number), { key: { id: row.id }, row }]);
}

describe('TopNWindow', () => {
  let totalRefills = 0;
  it('holds at most N + K rows and its diffs keep the client equal to the first N, refilled when starved', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(change, { maxLength: 12 }),
        fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { maxLength: 40 }),
        (limit, spare, initial, transactions) => {
          const model = new Map<number, Row>();
          const put = ({ id, price }: Change) => {
            if (price === undefined) model.delete(id);
            else model.set(id, { id, price });
          };
          initial.forEach(put);
          const window = new TopNWindow(compare, limit, spare, () => undefined);
          const capacity = limit + spare;
          window.load(firstRows(model, capacity), model.size <= capacity);
          const client = new Map<string, Row>();
          for (const { key, row } of window.initial()) client.set(keyOf(key.id as number), row);
          let refills = 0;
          for (const tx of transactions) {
            const touched = new Set<string>();
            for (const c of tx) {
              put(c);
              const row = model.get(c.id);
              window.change(keyOf(c.id), row ? { key: { id: c.id }, row } : undefined);
              touched.add(keyOf(c.id));
              expect(window.size).toBeLessThanOrEqual(capacity);
            }
            let changes;
            if (window.starved) {
              refills++;
              window.load(firstRows(model, capacity), model.size <= capacity);
              expect(window.starved).toBe(false);
              changes = window.diff((_, a, b) => JSON.stringify(a) !== JSON.stringify(b));
            } else changes = window.diff((canonical) => touched.has(canonical));
            for (const { event, key, row } of changes) {
              if (event === 'delete') client.delete(keyOf(key.id as number));
              else client.set(keyOf(key.id as number), row as Row);
            }
            const expected = firstRows(model, limit).map(([, { row }]) => row);
            expect([...client.values()].sort(compare)).toEqual(expected);
          }
          totalRefills += refills;
        },
      ),
      { numRuns: 2000 },
    );
    expect(totalRefills).toBeGreaterThan(100); // the refill path ran, often
  });

  it('a row sorting after the last held row of an incomplete set is not held', () => {
    const window = new TopNWindow(compare, 1, 1, () => undefined);
    window.load(
      [
        ['k1', { key: { id: 1 }, row: { id: 1, price: 9 } }],
        ['k2', { key: { id: 2 }, row: { id: 2, price: 8 } }],
      ],
      false,
    );
    window.change('k3', { key: { id: 3 }, row: { id: 3, price: 1 } });
    expect(window.size).toBe(2);
    window.change('k4', { key: { id: 4 }, row: { id: 4, price: 10 } });
    expect(window.size).toBe(2); // k4 in, k2 dropped (capacity 2)
    window.change('k4', undefined);
    window.change('k1', undefined);
    expect(window.starved).toBe(true);
  });
});
