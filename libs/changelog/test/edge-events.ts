import { JsonText, type ChangeEvent } from '@distributary/core';

const tx = { xid: 7, commitTs: '2026-11-30T18:00:00.000001Z' };

/**
 * Events whose entries are easy to get subtly wrong: escapes and non-BMP text, odd table and column
 * names, json columns (-0, 1e-400, 20-digit numbers), numeric text, arrays, an undefined column
 * (left out), filled TOAST columns, delete, truncate and a snapshot read.
 */
export function edgeEvents(): ChangeEvent[] {
  return [
    {
      pos: { lsn: 1n << 40n, seq: 0 },
      op: 'c',
      table: 'public.t',
      key: { id: 1 },
      after: { id: 1, v: 'a"\n\u2028é😀', body: 'b'.repeat(240) },
      ...tx,
    },
    {
      pos: { lsn: 1n << 40n, seq: 1 },
      op: 'u',
      table: 'public."Odd ""Name"""',
      key: { id: 2, 'k"2': 'x' },
      before: { id: 2, j: new JsonText('{"a":1e-400}') },
      after: {
        id: 2,
        j: new JsonText('[-0, 12345678901234567890]'),
        arr: [new JsonText('1.0'), null],
        n: '-0',
        f: 'NaN',
        gone: undefined as unknown as null,
      },
      filled: ['body:log'],
      ...tx,
    },
    { pos: { lsn: (1n << 40n) + 5n, seq: 0 }, op: 'd', table: 'public.t', key: { id: 1 }, ...tx },
    { pos: { lsn: (1n << 40n) + 5n, seq: 1 }, op: 't', table: 'public.t', key: {}, ...tx },
    { pos: { lsn: 99n, seq: 2 }, op: 'r', table: 'public.t', key: { id: 3 }, after: { id: 3 }, snapshot: 's1' },
  ];
}
