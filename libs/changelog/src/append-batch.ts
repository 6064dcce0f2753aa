import { canonicalKey, eventJsonField, partitionOfCanonicalKey, type ChangeEvent, type Lsn } from '@distributary/core';
import type { LogKeys } from './keys';
import type { TxMarkerInput } from './appender';
import { PackedArgs } from './packed-args';
import { packEventBody } from './packed-json';
import { encodeTxMarker } from './tx-marker';

/** Entries per script call: keeps one call's time on the Redis thread short. */
export const ENTRIES_PER_CALL = 1000;

/** One script call's argument: `id, n, field, value, …` per entry, packed (see lua/append-batch.lua). */
export interface PackedCall {
  args: PackedArgs;
  entries: number;
  /** ID of its last entry. */
  lastId: string;
}

/** Stream names per partition, per LogKeys (built once, not twice per event). */
const streamNames = new WeakMap<LogKeys, string[]>();

function partitionStreams(keys: LogKeys, partitions: number): string[] {
  let names = streamNames.get(keys);
  if (!names || names.length < partitions) {
    names = Array.from({ length: partitions }, (_, p) => keys.partition(p));
    streamNames.set(keys, names);
  }
  return names;
}

/**
 * One append's entries, encoded as they are added straight into the packed argument of the per-stream
 * append script (see lua/append-batch.lua): per stream `id, n, field, value, …` in append order, at
 * most ENTRIES_PER_CALL entries per call. Partition = partitionOfCanonicalKey(canonical key) — the key
 * is canonicalised and hashed once; a truncate goes to every partition (it concerns all keys). Counts
 * events per op and packed bytes.
 */
export class AppendBatch {
  /** stream → its script calls, in append order. */
  readonly streams = new Map<string, PackedCall[]>();
  /** Data events added (a truncate counts once). */
  events = 0;
  /** Packed bytes, the measure of memory held until the append is durable. */
  bytes = 0;
  readonly ops: Record<ChangeEvent['op'], number> = { c: 0, u: 0, d: 0, r: 0, t: 0 };
  private prefixLsn: Lsn = -1n;
  private prefix = '';
  private readonly streamOf: string[];
  /** Each partition's current call (its last), once it has one. */
  private readonly current: (PackedCall | undefined)[] = [];

  constructor(
    private readonly keys: LogKeys,
    private readonly partitions: number,
    /** Where a stream's call starts writing (the appender passes a recycled buffer of the size it needed last). */
    private readonly bufferFor: (stream: string) => Buffer | undefined = () => undefined,
    /** Receives buffers a call grew out of. */
    private readonly discard?: (buffer: Buffer) => void,
  ) {
    this.streamOf = partitionStreams(keys, partitions);
  }

  get empty(): boolean {
    return this.streams.size === 0;
  }

  /**
   * Adds a data event; returns its canonical key (field `k`) for the caller to reuse. A caller that
   * already has canonicalKey(event.table, event.key) passes it (it is not computed again).
   */
  addEvent(event: ChangeEvent, canonical = canonicalKey(event.table, event.key)): string {
    // The entry encodeEventWithKey would give (fields k, o, e and j when any, in that order), packed
    // without building its fields object; the ID's LSN part is shared by a transaction's events.
    const id = this.lsnPrefix(event.pos.lsn) + event.pos.seq;
    const json = eventJsonField(event);
    this.events++;
    this.ops[event.op]++;
    if (event.op === 't') {
      for (let p = 0; p < this.partitions; p++) this.pushEvent(p, id, canonical, event, json);
    } else {
      this.pushEvent(partitionOfCanonicalKey(canonical, this.partitions), id, canonical, event, json);
    }
    return canonical;
  }

  /** `<lsn>-` (positionToId's LSN part), computed once per LSN. */
  private lsnPrefix(lsn: Lsn): string {
    if (lsn !== this.prefixLsn) {
      this.prefixLsn = lsn;
      this.prefix = `${lsn.toString()}-`;
    }
    return this.prefix;
  }

  addMarker({ commitLsn, marker }: TxMarkerInput): void {
    const { id, fields } = encodeTxMarker(commitLsn, marker);
    this.push(this.keys.transactions(), id, fields);
  }

  private pushEvent(
    partition: number,
    id: string,
    canonical: string,
    event: ChangeEvent,
    json: string | undefined,
  ): void {
    let call = this.current[partition];
    if (!call || call.entries === ENTRIES_PER_CALL) {
      call = this.callFor(this.streamOf[partition]);
      this.current[partition] = call;
    }
    const args = call.args;
    const before = args.bytes;
    args.string(id);
    args.uint(json === undefined ? 3 : 4);
    args.string('k');
    args.string(canonical);
    args.string('o');
    args.string(event.op);
    args.string('e');
    packEventBody(args, event);
    if (json !== undefined) {
      args.string('j');
      args.string(json);
    }
    call.entries++;
    call.lastId = id;
    this.bytes += args.bytes - before;
  }

  /** The stream's current script call, or a new one when it has none or the last is full. */
  private callFor(stream: string): PackedCall {
    let calls = this.streams.get(stream);
    if (!calls) {
      calls = [];
      this.streams.set(stream, calls);
    }
    let call = calls[calls.length - 1];
    if (!call || call.entries === ENTRIES_PER_CALL) {
      call = { args: new PackedArgs(this.bufferFor(stream), this.discard), entries: 0, lastId: '' };
      calls.push(call);
    }
    return call;
  }

  private push(stream: string, id: string, fields: Record<string, string>): void {
    const call = this.callFor(stream);
    const args = call.args;
    const before = args.bytes;
    let pairs = 0;
    for (const _field in fields) pairs++;
    args.string(id);
    args.uint(pairs);
    for (const field in fields) {
      args.string(field);
      args.string(fields[field]);
    }
    call.entries++;
    call.lastId = id;
    this.bytes += args.bytes - before;
  }
}
