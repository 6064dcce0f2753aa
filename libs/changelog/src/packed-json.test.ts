import { describe, expect, it } from 'vitest';
import { eventBody, JsonText, type ChangeEvent } from '@distributary/core';
import { mulberry32 } from '@distributary/testkit';
import { PackedArgs } from './packed-args';
import { packEventBody } from './packed-json';
import { unpackCall } from '../test/unpack-call';
import { edgeEvents } from '../test/edge-events';

/** The body packEventBody writes, read back as cmsgpack would. */
function packed(event: ChangeEvent): string {
  const args = new PackedArgs(Buffer.allocUnsafe(64));
  packEventBody(args, event);
  const [body] = unpackCall(Buffer.from(args.finish()));
  return body as string;
}

const PIECES = [
  'a',
  'é',
  '😀',
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u2028',
  '\ud800',
  '\udc00',
  ' ',
  '{',
  'x'.repeat(40),
];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 2 ** 53 + 2];

function text(next: () => number): string {
  let out = '';
  const length = Math.floor(next() * 8);
  for (let i = 0; i < length; i++) out += PIECES[Math.floor(next() * PIECES.length)];
  return out;
}

function value(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return text(next);
    case 1:
      return NUMBERS[Math.floor(next() * NUMBERS.length)];
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return new JsonText(text(next));
    case 5:
      return undefined;
    case 6:
      return [value(next, depth + 1), value(next, depth + 1)];
    case 7:
      return row(next, depth + 1);
    default: {
      const json = next() < 0.2 ? undefined : text(next);
      return { toJSON: () => json };
    }
  }
}

function row(next: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const columns = Math.floor(next() * 5);
  for (let i = 0; i < columns; i++)
    out[next() < 0.2 ? String(Math.floor(next() * 3)) : text(next)] = value(next, depth);
  return out;
}

describe('packEventBody', () => {
  it('writes exactly eventBody(event) for the connector shapes: insert, update with before, delete, truncate, snapshot, filled', () => {
    const events = edgeEvents();
    for (const event of events) expect(packed(event)).toBe(eventBody(event));
  });

  it('writes exactly eventBody(event) for random rows: escapes, surrogates, numbers, nesting, toJSON, undefined', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const next = mulberry32(seed);
      const event = {
        pos: { lsn: 5n, seq: seed },
        op: 'u',
        table: text(next),
        key: row(next, 1),
        before: next() < 0.5 ? row(next, 1) : undefined,
        after: row(next, 1),
        xid: seed,
        commitTs: text(next),
      } as unknown as ChangeEvent;
      expect(packed(event), `seed ${seed}`).toBe(eventBody(event));
    }
  });

  it('falls back to JSON.stringify for an event that is not a plain object', () => {
    class Odd {
      pos = { lsn: 1n, seq: 0 };
      op = 'c' as const;
      table = 't';
      key = { id: 1 };
    }
    const event = new Odd() as unknown as ChangeEvent;
    expect(packed(event)).toBe(eventBody(event));
  });
});
