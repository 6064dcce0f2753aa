import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import { SnapshotAppendQueue, type UnpositionedEvent } from './append-queue';

const event = (n: number): UnpositionedEvent => ({ op: 'r', table: 't', key: { n }, after: { n } });

/** A queue over an in-memory log and record (the order rules, not the I/O: the snapshot tests use the real ones). */
function harness(depth: number, failAt?: number) {
  const log: string[] = [];
  const record: Record<string, string>[] = [];
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const queue = new SnapshotAppendQueue({
    lsn: 7n,
    seq: 10,
    maxBytes: 1e9,
    depth,
    append: async (events: ChangeEvent[]) => {
      const call = ++calls;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, call === failAt ? 20 : 2));
      inFlight--;
      if (call === failAt) throw new Error(`append ${call} failed`);
      log.push(...events.map((e) => `${e.key.n}@${e.pos.seq}`));
    },
    record: {
      read: async () => ({}),
      write: async (fields) => {
        // the record may only cover what is in the log
        expect(log.length).toBeGreaterThanOrEqual(Number(fields.rows));
        record.push(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])));
      },
    },
  });
  let rows = 0;
  const enqueue = (n: number) =>
    queue.enqueue([event(n), event(n + 0.5)], 100, (seq) => ({ seq, rows: (rows += 2), chunk: n }));
  return { queue, log, record, enqueue, calls: () => calls, maxInFlight: () => maxInFlight };
}

describe('snapshot append queue', () => {
  it('appends in enqueue order with growing seqs and records each chunk after it, in order', async () => {
    const h = harness(3);
    for (let n = 0; n < 8; n++) h.enqueue(n);
    await h.queue.drained();
    expect(h.log).toEqual([...Array(8).keys()].flatMap((n) => [`${n}@${10 + 2 * n}`, `${n + 0.5}@${11 + 2 * n}`]));
    expect(h.record.map((r) => r.chunk)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(h.record.at(-1)?.seq).toBe('26');
    expect(h.queue.nextSeq).toBe(26);
    expect(h.maxInFlight()).toBeGreaterThan(1);
    expect(h.maxInFlight()).toBeLessThanOrEqual(3);
  });

  it('one at a time at depth 1', async () => {
    const h = harness(1);
    for (let n = 0; n < 5; n++) h.enqueue(n);
    await h.queue.drained();
    expect(h.maxInFlight()).toBe(1);
    expect(h.record).toHaveLength(5);
  });

  it('after a failed append nothing more is issued nor recorded, and drained() rejects', async () => {
    const h = harness(1, 3);
    for (let n = 0; n < 6; n++) h.enqueue(n);
    await expect(h.queue.drained()).rejects.toThrow('append 3 failed');
    expect(h.calls()).toBe(3);
    expect(h.record.map((r) => r.chunk)).toEqual(['0', '1']);
    await expect(h.queue.room()).rejects.toThrow('append 3 failed');
  });

  it('pipelined: chunks issued after the failed one may land but are never recorded', async () => {
    const h = harness(3, 3);
    for (let n = 0; n < 6; n++) h.enqueue(n);
    await expect(h.queue.drained()).rejects.toThrow('append 3 failed');
    expect(h.record.map((r) => r.chunk)).toEqual(['0', '1']);
    expect(h.calls()).toBeLessThanOrEqual(5);
  });

  it('room() waits while more than maxBytes are read and not yet recorded', async () => {
    const queue = new SnapshotAppendQueue({
      lsn: 1n,
      seq: 0,
      maxBytes: 150,
      depth: 1,
      append: () => new Promise((resolve) => setTimeout(resolve, 5)),
      record: { read: async () => ({}), write: async () => undefined },
    });
    queue.enqueue([event(1)], 100, () => ({}));
    await queue.room(); // 100 < 150
    queue.enqueue([event(2)], 100, () => ({}));
    let roomy = false;
    const waiting = queue.room().then(() => (roomy = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(roomy).toBe(false);
    await waiting;
    await queue.drained();
  });
});
