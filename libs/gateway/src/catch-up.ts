/**
 * A resume's catch-up: the log after the client's vector, up to the gateway's read vector, replayed
 * as transaction groups, the partitions merged by commit LSN (an entry ID is `<commitLsn>-<seq>`),
 * so a transaction's entries in every partition go as one group, as the fan-out would hand them.
 */
import { compareIds } from '@distributary/core';
import type { ChangeLog, LogEntry } from '@distributary/changelog';
import type { PositionVector } from './positions';
import { idLsn, type GroupItem, type TxGroup } from './tx-assembler';

const CATCH_UP_PAGE = 500;

interface Cursor {
  after: string;
  page: LogEntry[];
  head: number;
  done: boolean;
}

export interface CatchUp {
  log: ChangeLog;
  /** The subscriber's position now (read before each group; the group's vector starts from it). */
  position(): PositionVector;
  /** False stops the replay (the subscriber went live, closed or starts over). */
  running(): boolean;
  apply(group: TxGroup): Promise<void>;
}

/** Replays the log after the subscriber's position up to `upTo`. */
export async function catchUp(run: CatchUp, upTo: PositionVector): Promise<void> {
  const cursors: Cursor[] = run.position().map((after, p) => ({
    after,
    page: [],
    head: 0,
    done: compareIds(after, upTo[p]) >= 0,
  }));
  const peek = async (p: number): Promise<LogEntry | undefined> => {
    const cursor = cursors[p];
    if (cursor.head >= cursor.page.length && !cursor.done) {
      cursor.page = await run.log.read.range(p, `(${cursor.after}`, upTo[p], CATCH_UP_PAGE);
      cursor.head = 0;
      if (cursor.page.length === 0) cursor.done = true;
      else cursor.after = cursor.page[cursor.page.length - 1].id;
    }
    return cursor.page[cursor.head];
  };
  while (run.running()) {
    let lsn: bigint | undefined;
    for (let p = 0; p < cursors.length; p++) {
      const entry = await peek(p);
      if (entry && (lsn === undefined || idLsn(entry.id) < lsn)) lsn = idLsn(entry.id);
    }
    if (lsn === undefined) return;
    const items: GroupItem[] = [];
    const vector = [...run.position()];
    for (let p = 0; p < cursors.length; p++) {
      for (let entry = await peek(p); entry && idLsn(entry.id) === lsn; entry = await peek(p)) {
        items.push({ partition: p, entry });
        vector[p] = entry.id;
        cursors[p].head++;
      }
    }
    await run.apply({ items, vector });
  }
}
