/**
 * A subscriber's position: the vector of the last log entry accounted for in each partition, and
 * the source snapshot S of its last initial state while entries visible in S may still follow.
 *
 * IDS AFTER AN INITIAL STATE. The rows can contain the effect of a transaction visible in S whose
 * entries the tail had not read yet (they are skipped when they arrive). A bare vector would make a
 * client resuming from it receive them again, so ids carry S (`~<snapshot>`, positions.ts) until
 * every partition has passed S's WAL position, and a resume with S skips entries visible in it
 * too (for a resumed client, such an entry also says whether the client holds its key).
 */
import { compareIds, type ChangeEvent } from '@distributary/core';
import { formatResumeId, type PositionVector } from './positions';
import { idLsn, type GroupItem, type TxGroup } from './tx-assembler';
import { xidVisible, type SourceSnapshot } from './visibility';

/** Formatted vectors, computed once however many subscribers share them. */
const formattedVectors = new WeakMap<readonly string[], string>();

export class SubscriberPosition {
  vector: PositionVector = [];
  snapshot: SourceSnapshot | undefined;

  /** The group's entries not accounted for yet; advances the position past the group. */
  advance(group: TxGroup): GroupItem[] {
    const fresh = group.items.filter((item) => compareIds(item.entry.id, this.vector[item.partition]) > 0);
    for (let p = 0; p < this.vector.length; p++) {
      const at = group.vector[p];
      if (at !== this.vector[p] && compareIds(at, this.vector[p]) > 0) this.vector[p] = at;
    }
    return fresh;
  }

  /**
   * Already in the initial rows (subscriber.ts): its xid is visible in S, or, without an xid (an
   * incremental snapshot row), it is at or before S's WAL position.
   */
  visibleInSnapshot(event: ChangeEvent): boolean {
    const snapshot = this.snapshot;
    if (!snapshot) return false;
    if (event.xid !== undefined) return xidVisible(event.xid, snapshot);
    return event.pos.lsn <= snapshot.lsn;
  }

  /** The id of the position: the vector, and the snapshot while entries visible in it may follow. */
  idText(shared?: readonly string[]): string {
    const snapshot = this.snapshot;
    if (snapshot && this.vector.every((id) => idLsn(id) > snapshot.lsn)) this.snapshot = undefined;
    // Live subscribers' positions usually equal the group's released vector: format it once for all.
    if (!this.snapshot && shared && this.vector.every((id, p) => id === shared[p])) {
      let text = formattedVectors.get(shared);
      if (text === undefined) formattedVectors.set(shared, (text = formatResumeId(this.vector, undefined)));
      return text;
    }
    return formatResumeId(this.vector, this.snapshot);
  }
}
