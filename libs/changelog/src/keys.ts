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
  /** Hash: sink name -> JSON fingerprint of its configuration (kind, shape hash, connection hash). */
  sinkFingerprints(): string {
    return `${this.tag('meta')}:sinks`;
  }
  /** Dead-letter stream of one sink. */
  deadLetters(sink: string): string {
    return `${this.tag(`dlq:${sink}`)}:log`;
  }
  /** Sorted set of live workers (score = last heartbeat ms). */
  workers(): string {
    return `${this.tag('workers')}:members`;
  }
  /** Sorted set of append-time checkpoints of this partition (score = ms, member = last entry ID then):
   *  the time reference for compaction's minLag / tombstone retention and time-based retention. */
  clock(n: number): string {
    return `${this.tag(`p${n}`)}:clock`;
  }
  /** Sorted set of workers still opening their sinks, not members yet (score = last heartbeat ms): a
   *  starting worker waits for them before taking its share (ownership.ts). */
  workersOpening(): string {
    return `${this.tag('workers')}:opening`;
  }
  /** Why a worker still opening its sinks has not joined yet (its last failed open, JSON), with a TTL. */
  workerOpeningTrouble(workerId: string): string {
    return `${this.tag('workers')}:opening-trouble:${workerId}`;
  }
  /** Hash a worker publishes about itself (owned partitions, positions, paused sinks), with a TTL. */
  workerStatus(workerId: string): string {
    return `${this.tag('workers')}:status:${workerId}`;
  }
  /** Hash: `<host>:<pid>` -> JSON of a role process (role, pid, RSS, heap, updatedAt), refreshed every few seconds. */
  processes(): string {
    return `${this.tag('workers')}:processes`;
  }
  /** Hash: gateway instance id -> JSON of its last status (subscribers, delivery rate and lag, drops). */
  gatewayStatuses(): string {
    return `${this.tag('gateways')}:status`;
  }
  /** Set of sink names paused across all workers. */
  pausedSinks(): string {
    return `${this.tag('workers')}:paused`;
  }
  /** BullMQ prefix for the log's maintenance jobs (compaction); one hash tag, so it works on a cluster. */
  jobsPrefix(): string {
    return this.tag('jobs');
  }
  /** Hash: progress of the initial snapshot (per-table last key and rows, running seq, status). */
  initialSnapshot(): string {
    return `${this.tag('snapshots')}:initial`;
  }
  /** Hash: one incremental snapshot's request, status and progress. */
  snapshot(id: string): string {
    return `${this.tag('snapshots')}:snapshot:${id}`;
  }
  /** Sorted set of incremental snapshot ids by creation time. */
  snapshots(): string {
    return `${this.tag('snapshots')}:index`;
  }
  /** Sorted set: a sink's deferred work still owed after its committed positions (scored by version; the
   *  Elasticsearch sink's pending fan-out passes); empty = none. Shares the hash tag of sinkWorkspace. */
  sinkBacklog(sink: string): string {
    return this.sinkWorkspace(sink, 'dirty');
  }
  /** A key a sink keeps its own durable state under, in the log's namespace, on the hash tag of its
   *  backlog (one shard, so its scripts may touch them together), e.g. the fan-out queue's `causes`. */
  sinkWorkspace(sink: string, name: string): string {
    return `${this.tag(`fanout:${sink}`)}:${name}`;
  }
  /** Stream: the admin API's audit log (who changed what, when). */
  auditLog(): string {
    return `${this.tag('audit')}:log`;
  }
  /** Hash: sink name -> JSON of its last verification result (libs/verify). */
  verifyResults(): string {
    return `${this.tag('verify')}:results`;
  }
}
