import { encodeEvent, partitionOfCanonicalKey, type ChangeEvent } from '@distributary/core';
import type { LogKeys } from './keys';
import type { TxMarkerInput } from './appender';
import { encodeTxMarker } from './tx-marker';

/**
 * One append's entries, encoded as they are added, straight into the argument list of the per-stream
 * append script (see lua/append-batch.lua): per stream `id, n, field, value, …` in append order.
 * Partition = partitionOfCanonicalKey(canonical key) — the key is canonicalised and hashed once; a
 * truncate goes to every partition (it concerns all keys). Counts events per op and encoded bytes.
 */
export class AppendBatch {
  /** stream → flat script arguments, in append order. */
  readonly streams = new Map<string, string[]>();
  /** Data events added (a truncate counts once). */
  events = 0;
  /** Encoded bytes (field values), the measure of memory held until the append is durable. */
  bytes = 0;
  readonly ops: Record<ChangeEvent['op'], number> = { c: 0, u: 0, d: 0, r: 0, t: 0 };

  constructor(
    private readonly keys: LogKeys,
    private readonly partitions: number,
  ) {}

  get empty(): boolean {
    return this.streams.size === 0;
  }

  /** Adds a data event; returns its canonical key (field `k`, computed once) for the caller to reuse. */
  addEvent(event: ChangeEvent): string {
    const { id, fields } = encodeEvent(event);
    const canonical = fields.k;
    this.events++;
    this.ops[event.op]++;
    if (event.op === 't') {
      for (let p = 0; p < this.partitions; p++) this.push(this.keys.partition(p), id, fields);
    } else {
      this.push(this.keys.partition(partitionOfCanonicalKey(canonical, this.partitions)), id, fields);
    }
    return canonical;
  }

  addMarker({ commitLsn, marker }: TxMarkerInput): void {
    const { id, fields } = encodeTxMarker(commitLsn, marker);
    this.push(this.keys.transactions(), id, fields);
  }

  private push(stream: string, id: string, fields: Record<string, string>): void {
    let args = this.streams.get(stream);
    if (!args) {
      args = [];
      this.streams.set(stream, args);
    }
    const at = args.length;
    args.push(id, '');
    let pairs = 0;
    for (const field in fields) {
      const value = fields[field];
      args.push(field, value);
      this.bytes += value.length + field.length;
      pairs++;
    }
    args[at + 1] = String(pairs);
    this.bytes += id.length + 8;
  }
}
