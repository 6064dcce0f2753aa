import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preview, PREVIEW_BUDGET } from './preview';
import { toDeadLetter } from './dead-letter-view';
import { toTailEvent } from './live-tail';

describe('row previews', () => {
  it('keeps small values whole and says nothing was cut', () => {
    const row = { id: 1, name: 'x', tags: ['a', 'b'], nested: { ok: true, none: null } };
    expect(preview(row)).toEqual({ value: row, truncated: false });
  });

  it('cuts long strings, long arrays, deep nesting and wide objects under the byte budget', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 50; i++) at = (at.child = {}) as Record<string, unknown>;
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`c${i}`, 'v'.repeat(40)]));
    for (const value of [
      { text: 'x'.repeat(5_000_000) },
      { list: Array.from({ length: 100_000 }, (_, i) => i) },
      deep,
      wide,
    ]) {
      const { value: shown, truncated } = preview(value);
      expect(truncated).toBe(true);
      expect(JSON.stringify(shown).length).toBeLessThan(PREVIEW_BUDGET * 4);
    }
  });

  it('fuzz: any JSON value gives a bounded preview', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        (value) => JSON.stringify(preview(value).value).length < PREVIEW_BUDGET * 4,
      ),
      { numRuns: 500 },
    );
  });

  it('a 10 MB dead letter and tail event are previewed, not shown whole', () => {
    const huge = 'z'.repeat(10 * 1024 * 1024);
    const event = JSON.stringify({
      k: JSON.stringify({ id: huge }),
      o: 'c',
      e: JSON.stringify({ after: { d: huge } }),
    });
    const letter = toDeadLetter('s', '1-0', ['id', '5-0', 'event', event, 'error', huge]);
    expect(letter.truncated).toBe(true);
    expect(JSON.stringify(letter).length).toBeLessThan(PREVIEW_BUDGET * 4);
    const tail = toTailEvent(0, '5-0', ['k', JSON.stringify({ id: huge }), 'o', 'c', 'e', '{}']);
    expect(JSON.stringify(tail).length).toBeLessThan(PREVIEW_BUDGET * 4);
    expect(
      toTailEvent(0, '5-0', ['k', JSON.stringify({ id: huge }), 'o', 'c', 'e', '{}'], true).truncated,
    ).toBeUndefined();
  });
});
