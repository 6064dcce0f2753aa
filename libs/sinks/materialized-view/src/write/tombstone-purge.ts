import type { PoolClient } from 'pg';
import { compareIds, idToPosition } from '@distributary/core';
import type { ViewStatements } from '../plan/view-statements';
import type { ViewTarget } from '../target/view-target';

/**
 * Deleted-row tombstones are kept until every partition's stored position is past them; every
 * `everyBatches` applied batches, those below the lowest stored position are purged (inside the
 * batch's transaction).
 */
export class TombstonePurge {
  private batchesSincePurge = 0;

  constructor(
    private readonly target: ViewTarget,
    private readonly everyBatches = 100,
  ) {}

  async afterBatch(client: PoolClient, statements: ViewStatements): Promise<void> {
    if (++this.batchesSincePurge < this.everyBatches) return;
    this.batchesSincePurge = 0;
    const positions = [...(await this.target.registry.positionsOf(client, this.target.stateKey)).values()];
    if (positions.length === 0) return;
    const lowest = idToPosition(positions.reduce((low, id) => (compareIds(id, low) < 0 ? id : low)));
    for (const sql of statements.purgeTombstones()) await client.query(sql, [lowest.lsn.toString(), lowest.seq]);
  }
}
