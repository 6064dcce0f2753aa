/**
 * A plain (not top-N) subscriber's record of the keys its client holds, and the change each log
 * entry makes to them.
 *
 * CHANGES. For an entry on the table: after matches and before matched → update; only after →
 * insert (enter); only before → delete (leave). "Before matched" is this record of the keys the
 * client holds, not the event's before image (which pgoutput only sends for REPLICA IDENTITY
 * FULL). TRUNCATE → `reset` and a fresh initial state.
 *
 * RESUMED CLIENTS. After a resume the gateway does not know which keys the client holds, so the
 * first entry of a key after the client's vector V looks up the key's latest entry at or before
 * V[p] in the log (bounded backwards scan) and evaluates the filter on it; when that entry is not
 * found, the stream sends `reset` and a fresh initial state.
 */
import { formatLsn, START_ID, type ChangeEvent, type Row } from '@distributary/core';
import { nextId, type ChangeLog } from '@distributary/changelog';
import { keyOf, serialized } from './event-text';
import type { PositionVector } from './positions';
import { ResetNeeded } from './reset-needed';
import type { BoundFilter } from './subscription-filter';
import type { SubscriberPosition } from './subscriber-position';

/** One SSE event to send: its name and its data (one line of JSON). */
export interface Outgoing {
  event: string;
  data: string;
}

export class HeldKeys {
  private readonly members = new Set<string>();
  /** Keys whose holding is known (a resumed client's first entry of the key has been seen). */
  private readonly decided = new Set<string>();
  /** Set while resumed: the client's vector, before which a key's holding is looked up in the log. */
  private resumedAt: PositionVector | undefined;

  constructor(
    private readonly filter: BoundFilter,
    private readonly position: SubscriberPosition,
    private readonly log: ChangeLog,
    /** Tells the fan-out the client holds (or no longer holds) a key. */
    private readonly hold: (key: string, held: boolean) => void,
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** Resumed: which keys the client holds is learnt key by key from the log. */
  get lazy(): boolean {
    return this.resumedAt !== undefined;
  }

  /** The client resumes at `vector`, holding keys not known yet. */
  resume(vector: PositionVector): void {
    this.resumedAt = [...vector];
  }

  /** An initial state's row: the client holds its key. */
  add(key: string): void {
    this.members.add(key);
    this.hold(key, true);
  }

  /** Lets the fan-out forget every key the client held. */
  releaseAll(): void {
    for (const key of this.members) this.hold(key, false);
    this.members.clear();
  }

  /** Before a fresh initial state: nothing held, nothing known, not resumed. */
  clear(): void {
    this.releaseAll();
    this.decided.clear();
    this.resumedAt = undefined;
  }

  /** The change an entry on the subscriber's table makes to the client's rows, if any. */
  async change(partition: number, event: ChangeEvent): Promise<Outgoing | undefined> {
    if (this.position.visibleInSnapshot(event)) {
      // Already in the client's rows. A resumed client holds the key as this entry left it.
      if (!this.lazy) return undefined;
      if (event.op === 't') throw new ResetNeeded();
      const key = keyOf(event);
      this.decided.add(key);
      const held = event.op !== 'd' && (await this.filter.matches(event.after));
      if (held !== this.members.has(key)) this.setHeld(key, held);
      return undefined;
    }
    if (event.op === 't') throw new ResetNeeded();
    const key = keyOf(event);
    const was = await this.heldBefore(key, partition, event);
    const is = event.op !== 'd' && (await this.filter.matches(event.after));
    this.decided.add(key);
    if (is !== this.members.has(key)) this.setHeld(key, is);
    if (!is && !was) return undefined;
    if (!is)
      return {
        event: 'delete',
        data: serialized(event, '', () => ({ key: event.key, lsn: formatLsn(event.pos.lsn) })),
      };
    const subscription = this.filter.subscription;
    const data = serialized(event, subscription.name, () => ({
      key: event.key,
      row: subscription.project(event.after as Row),
      lsn: formatLsn(event.pos.lsn),
    }));
    return { event: was ? 'update' : 'insert', data };
  }

  private setHeld(key: string, held: boolean): void {
    if (held) this.members.add(key);
    else this.members.delete(key);
    this.hold(key, held);
  }

  private async heldBefore(key: string, partition: number, event: ChangeEvent): Promise<boolean> {
    if (!this.resumedAt || this.decided.has(key)) return this.members.has(key);
    if (event.op === 'c') return false;
    const resumedAt = this.resumedAt[partition];
    if (resumedAt === START_ID) throw new ResetNeeded();
    const previous = await this.log.read.latestOfKey(
      partition,
      this.filter.subscription.table,
      event.key,
      nextId(resumedAt),
    );
    if (!previous) throw new ResetNeeded();
    return previous.op !== 'd' && previous.op !== 't' && (await this.filter.matches(previous.after));
  }
}
