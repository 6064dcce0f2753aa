/**
 * Partition ownership among the running workers. Each worker heartbeats into the membership set; all
 * live members compute the same assignment (membership.ts); a worker acquires the lease of every
 * (sink, partition) assigned to it, renews it, and gives back the ones assigned elsewhere once its
 * listener has finished the batch in flight. A worker that dies stops renewing: its leases expire
 * after leaseTtlMs and the survivors take over. A partition is consumed by one worker per sink at a
 * time because a holder that cannot renew for a whole TTL considers the lease lost and stops, and a
 * stale holder's commits are refused by the fencing token anyway.
 *
 * HAND-OVER SPEED. Between ticks (every leaseTtlMs / 4) a cheap check runs every `watchMs` (default
 * 100 ms): one read of the member set. A member joining or leaving, or a partition assigned here that
 * is not held yet (its previous owner is still finishing its batch), runs a tick at once. So a worker
 * that joins gets its share within about one batch plus `watchMs`, not after two tick periods.
 *
 * WORKERS STARTED TOGETHER. A hand-over waits for the old owner's batch in flight, which queues behind
 * the writes of every other partition it holds (seconds, more behind a slow target). So a worker says
 * it is starting (announceOpening(): a heartbeat in keys.workersOpening(), not a membership — nothing
 * is assigned to it) while its sinks open; once it joins, it leaves that set and waits, at most
 * `settleMs` (default 3 s), until no other worker is still opening, then takes its share. Workers
 * started together thus each take their own share at once instead of the first taking everything and
 * handing most of it over, and a worker that starts alone does not wait at all. A joining worker is
 * in the member set before it leaves the opening set (same connection, in order), so a waiting worker
 * never sees it in neither.
 */
import { silentLogger, type Logger } from '@distributary/observability';
import type { LogKeys } from './keys';
import { acquireLease, releaseLease, renewLease } from './leases';
import {
  assignmentFor,
  heartbeatMember,
  heartbeatOpening,
  leaveMembership,
  leaveOpening,
  openingWorkers,
  reportOpeningTrouble,
  type OpeningTrouble,
} from './membership';
import type { RedisClient } from './redis-connection';

export interface PartitionClaim {
  sink: string;
  partition: number;
  fencingToken: number;
}

export interface OwnershipListener {
  /** The lease was acquired: start consuming. */
  acquired(claim: PartitionClaim): void;
  /** Assigned elsewhere now: finish the batch in flight and commit; the lease is released after. */
  revoked(claim: PartitionClaim): Promise<void>;
  /** The lease was lost (expired, taken over, reset by a replay): stop at once. */
  lost(claim: PartitionClaim): void;
}

export interface OwnershipOptions {
  redis: RedisClient;
  keys: LogKeys;
  workerId: string;
  sinks: readonly string[];
  partitions: number;
  listener: OwnershipListener;
  leaseTtlMs?: number;
  memberTtlMs?: number;
  tickMs?: number;
  /** How often membership changes and pending acquisitions are checked between ticks (default 100 ms). */
  watchMs?: number;
  /** At start, how long to wait at most for workers still opening their sinks (default 3000 ms; 0: never). */
  settleMs?: number;
  logger?: Logger;
}

interface HeldClaim extends PartitionClaim {
  renewedAt: number;
  revoking: boolean;
}

const claimId = (sink: string, partition: number): string => `${sink}#${partition}`;

const sameMembers = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((m, i) => m === b[i]);

/** Waits for `work` at most `ms`; failures and timeouts are swallowed (the caller has a fallback). */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

export class PartitionOwnership {
  private readonly held = new Map<string, HeldClaim>();
  private readonly leaseTtlMs: number;
  private readonly memberTtlMs: number;
  private readonly tickMs: number;
  private readonly watchMs: number;
  private readonly settleMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private busy = false;
  private watching = false;
  /** The watch's acquisition of missing leases, while it runs (a tick starts after it). */
  private acquiring: Promise<void> | undefined;
  private stopped = true;
  private members: string[] = [];
  /** Heartbeats this worker as opening its sinks, until it joins (see the file doc). */
  private openingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OwnershipOptions) {
    this.leaseTtlMs = options.leaseTtlMs ?? 5000;
    this.memberTtlMs = options.memberTtlMs ?? 5000;
    this.tickMs = options.tickMs ?? Math.max(100, Math.floor(this.leaseTtlMs / 4));
    this.watchMs = Math.min(this.tickMs, options.watchMs ?? 100);
    this.settleMs = Math.max(0, options.settleMs ?? 3000);
    this.logger = options.logger ?? silentLogger;
  }

  get workerId(): string {
    return this.options.workerId;
  }

  /** Live members seen at the last heartbeat. */
  liveMembers(): readonly string[] {
    return this.members;
  }

  claims(): PartitionClaim[] {
    return [...this.held.values()].map(({ sink, partition, fencingToken }) => ({ sink, partition, fencingToken }));
  }

  async start(): Promise<void> {
    this.stopped = false;
    // Independent of the ticks: a tick stuck on an unreachable Redis must not keep expired leases alive.
    this.expiryTimer = setInterval(() => this.expireUnrenewed(), this.tickMs);
    await this.settle();
    if (this.stopped) return;
    this.watchTimer = setInterval(() => void this.watch(), this.watchMs);
    await this.runTick();
  }

  /** Says this worker is starting (its sinks are opening), until start() joins or stop(). */
  announceOpening(): void {
    const { redis, keys, workerId } = this.options;
    const beat = (): void =>
      void heartbeatOpening(redis, keys, workerId, this.memberTtlMs).catch((error) =>
        this.logger.debug({ err: error }, 'opening heartbeat failed'),
      );
    beat();
    this.openingTimer = setInterval(beat, Math.max(100, Math.floor(this.memberTtlMs / 3)));
  }

  /** Says why this worker, still opening, has not joined yet (shown by `status` until it joins or stops). */
  async reportOpeningTrouble(trouble: OpeningTrouble): Promise<void> {
    if (!this.openingTimer) return;
    const { redis, keys, workerId } = this.options;
    await reportOpeningTrouble(redis, keys, workerId, trouble, this.memberTtlMs);
  }

  private async leaveOpening(): Promise<void> {
    if (!this.openingTimer) return;
    clearInterval(this.openingTimer);
    this.openingTimer = undefined;
    await leaveOpening(this.options.redis, this.options.keys, this.workerId).catch(() => undefined);
  }

  /** Joins, leaves the opening set, then waits (at most settleMs) while another worker is still opening. */
  private async settle(): Promise<void> {
    const { redis, keys, workerId } = this.options;
    await heartbeatMember(redis, keys, workerId, this.memberTtlMs).catch(() => undefined);
    await this.leaveOpening();
    const startedAt = Date.now();
    let waitingFor: string[] = [];
    while (!this.stopped && Date.now() - startedAt < this.settleMs) {
      waitingFor = (await openingWorkers(redis, keys, this.memberTtlMs).catch(() => [])).filter((w) => w !== workerId);
      if (waitingFor.length === 0 || this.stopped) break;
      await new Promise((resolve) => setTimeout(resolve, this.watchMs));
    }
    if (waitingFor.length > 0 && !this.stopped)
      this.logger.info(
        { opening: waitingFor, waitedMs: Date.now() - startedAt },
        "workers still opening their sinks after the settle wait; taking this worker's share now",
      );
  }

  /** Stops heartbeating and leaves the membership; the caller releases what it still holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    await withinMs(this.leaveOpening(), this.leaseTtlMs);
    if (this.timer) clearTimeout(this.timer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    if (this.watchTimer) clearInterval(this.watchTimer);
    await withinMs(this.ticking ?? Promise.resolve(), this.leaseTtlMs);
    await withinMs(leaveMembership(this.options.redis, this.options.keys, this.workerId), this.leaseTtlMs);
  }

  /** Gives the lease back (bounded wait: an unreachable Redis lets it expire instead). */
  async release(sink: string, partition: number): Promise<void> {
    const claim = this.held.get(claimId(sink, partition));
    if (!claim) return;
    this.held.delete(claimId(sink, partition));
    await withinMs(
      releaseLease(this.options.redis, this.options.keys, sink, partition, this.workerId),
      this.leaseTtlMs,
    );
  }

  private runTick(): Promise<void> {
    if (this.busy && this.ticking) return this.ticking;
    if (this.timer) clearTimeout(this.timer);
    this.busy = true;
    this.ticking = (this.acquiring ?? Promise.resolve())
      .then(() => this.tick())
      .catch((error) => this.logger.warn({ err: error }, 'ownership tick failed; retrying'))
      .finally(() => {
        this.busy = false;
        if (!this.stopped) this.timer = setTimeout(() => void this.runTick(), this.tickMs);
      });
    return this.ticking;
  }

  /** Between ticks: a tick at once when the members changed or an assigned partition is not held yet. */
  private async watch(): Promise<void> {
    if (this.stopped || this.busy || this.watching) return;
    this.watching = true;
    try {
      const { redis, keys, workerId, sinks, partitions } = this.options;
      const members = (await redis.zrange(keys.workers(), 0, -1)).sort();
      const changed = !sameMembers(members, this.members);
      if (changed) {
        if (!this.stopped && !this.busy) await this.runTick();
        return;
      }
      if (!this.members.includes(workerId)) return;
      const desired = assignmentFor(this.members, workerId, sinks, partitions).map((a) => claimId(a.sink, a.partition));
      if (!desired.some((id) => !this.held.has(id)) || this.stopped || this.busy) return;
      // only the missing leases (one round trip); a tick due meanwhile starts right after it
      this.acquiring = this.acquireMissing(desired).finally(() => (this.acquiring = undefined));
      await this.acquiring;
    } catch (error) {
      this.logger.debug({ err: error }, 'ownership watch failed; the next tick retries');
    } finally {
      this.watching = false;
    }
  }

  /** One round: heartbeat, renew, hand back, acquire. */
  async tick(): Promise<void> {
    const { redis, keys, workerId, sinks, partitions, listener } = this.options;
    this.expireUnrenewed();
    this.members = await heartbeatMember(redis, keys, workerId, this.memberTtlMs);
    const desired = new Set(
      assignmentFor(this.members, workerId, sinks, partitions).map((a) => claimId(a.sink, a.partition)),
    );

    // every lease renewed at once (one round trip of latency, not one per lease)
    await Promise.all(
      [...this.held].map(async ([id, claim]) => {
        // the lease runs at least TTL from when the renewal was SENT: count from then (conservative)
        const sentAt = Date.now();
        const stillHeld = await renewLease(
          redis,
          keys,
          claim.sink,
          claim.partition,
          workerId,
          this.leaseTtlMs,
          claim.fencingToken,
        );
        if (this.held.get(id) !== claim) return; // dropped or released meanwhile
        if (!stillHeld) {
          this.held.delete(id);
          this.logger.warn({ sink: claim.sink, partition: claim.partition }, 'lease lost');
          listener.lost(claim);
          return;
        }
        claim.renewedAt = sentAt;
        if (!desired.has(id) && !claim.revoking) {
          claim.revoking = true;
          this.logger.info(
            { sink: claim.sink, partition: claim.partition },
            'partition assigned elsewhere; handing over',
          );
          void listener
            .revoked(claim)
            .catch((error) => this.logger.warn({ err: error }, 'hand-over failed'))
            .finally(() => this.release(claim.sink, claim.partition));
        }
      }),
    );
    if (this.stopped) return;
    await this.acquireMissing(desired);
  }

  /** Every missing lease of `desired` tried at once (one round trip of latency, not one per partition). */
  private async acquireMissing(desired: Iterable<string>): Promise<void> {
    const { redis, keys, workerId, listener } = this.options;
    await Promise.all(
      [...desired].map(async (id) => {
        if (this.held.has(id)) return;
        const [sink, partition] = [id.slice(0, id.lastIndexOf('#')), Number(id.slice(id.lastIndexOf('#') + 1))];
        const sentAt = Date.now();
        const token = await acquireLease(redis, keys, sink, partition, workerId, this.leaseTtlMs);
        if (token === undefined) return; // the previous owner is still handing over or its lease has not expired
        if (this.stopped || this.held.has(id)) {
          // stopped meanwhile: give it back rather than hold it until it expires
          if (!this.held.has(id)) void releaseLease(redis, keys, sink, partition, workerId).catch(() => undefined);
          return;
        }
        const claim: HeldClaim = { sink, partition, fencingToken: token, renewedAt: sentAt, revoking: false };
        this.held.set(id, claim);
        this.logger.info({ sink, partition, fence: token }, 'lease acquired');
        listener.acquired(claim);
      }),
    );
  }

  /** A lease we could not renew for a whole TTL may belong to someone else now: stop using it. */
  private expireUnrenewed(): void {
    const now = Date.now();
    for (const [id, claim] of this.held) {
      if (now - claim.renewedAt >= this.leaseTtlMs) {
        this.held.delete(id);
        this.logger.warn({ sink: claim.sink, partition: claim.partition }, 'lease not renewed within its TTL; dropped');
        this.options.listener.lost(claim);
      }
    }
  }
}
