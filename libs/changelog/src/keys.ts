/**
 * Every Redis key the change log uses. Keys of one partition share the hash tag `{<ns>:p<N>}`, so on
 * Redis Cluster a partition's stream, positions and leases live on one shard (Lua scripts may touch
 * them together) while different partitions spread over the shards.
 */
export class LogKeys {
  constructor(readonly namespace: string) {}

  private tag(name: string): string {
    return `{${this.namespace}:${name}}`;
  }

  /** The partition's stream of change events; entry ID = `<commitLsn>-<seq>`. */
  partition(n: number): string {
    return `${this.tag(`p${n}`)}:log`;
  }
  /** Hash: sink name -> last committed entry ID of this partition. */
  positions(n: number): string {
    return `${this.tag(`p${n}`)}:positions`;
  }
  /** Hash: sink name -> fencing token of the current owner of this partition for that sink. */
  fences(n: number): string {
    return `${this.tag(`p${n}`)}:fences`;
  }
  /** Lease of (sink, partition): value = owner id, with a TTL. */
  lease(n: number, sink: string): string {
    return `${this.tag(`p${n}`)}:lease:${sink}`;
  }
  /** Transaction markers (begin/commit with xid, commit LSN, event count). */
  transactions(): string {
    return `${this.tag('tx')}:log`;
  }
  /** Connector leadership: lease key and fencing-token counter. */
  connectorLease(): string {
    return `${this.tag('connector')}:lease`;
  }
  connectorToken(): string {
    return `${this.tag('connector')}:token`;
  }
  /** Hash of connector state: confirmed LSN, slot, last heartbeat. */
  connectorState(): string {
    return `${this.tag('connector')}:state`;
  }
  /** Log metadata: partition count the log was created with, created-at. */
  meta(): string {
    return `${this.tag('meta')}:meta`;
  }
  /** Dead-letter stream of one sink. */
  deadLetters(sink: string): string {
    return `${this.tag(`dlq:${sink}`)}:log`;
  }
  /** Sorted set of live workers (score = last heartbeat ms). */
  workers(): string {
    return `${this.tag('workers')}:members`;
  }
}
