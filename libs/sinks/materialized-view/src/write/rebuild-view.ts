import type { ChangeEvent, RejectedEvent } from '@distributary/core';
import { applyPrepared, prepareEvents } from './apply-events';
import type { ResolvedView } from '../parse/resolve-view';
import { lockForTransaction, runAll, type TargetConnection } from '../target/target-connection';
import { assertOwner, markOwner, tableOwner } from '../target/view-ownership';
import { ViewStatements } from '../plan/view-statements';
import { ident } from '../target/view-tables';
import type { ViewTarget } from '../target/view-target';

export interface RebuildOptions {
  /** Positions the rebuild's events reach, stored at the swap; default: keep the stored positions. */
  positions?: Map<number, string>;
}

export interface RebuildResult {
  generation: number;
  events: number;
  rejected: RejectedEvent[];
}

/**
 * Builds the view again from `events` into a new generation beside the live one, then swaps it in
 * with one transaction under the apply lock (rename target, drop the old generation, store the new
 * fingerprint). Readers see the old view until the swap, the new one after.
 */
export async function rebuildView(
  connection: TargetConnection,
  target: ViewTarget,
  view: ResolvedView,
  events: AsyncIterable<ChangeEvent[]>,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { config, owner, registry, stateKey } = target;
  const current = await connection.transaction(async (client) => registry.find(client, stateKey));
  const oldGeneration = current?.generation ?? 0;
  const generation = oldGeneration + 1;
  const staging = target.names(generation, true);
  const statements = new ViewStatements(view, staging);
  await connection.transaction(async (client) => {
    await client.query(`DROP TABLE IF EXISTS ${staging.target}`);
    await client.query(statements.dropStateTables());
    await runAll(client, statements.createTables());
  });
  let count = 0;
  const rejected: RejectedEvent[] = [];
  for await (const batch of events) {
    const result = await connection.transaction(async (client) =>
      applyPrepared(client, statements, prepareEvents(view, batch)),
    );
    count += batch.length;
    rejected.push(...result.rejected);
  }
  const live = target.names(generation);
  await connection.transaction(async (client) => {
    await lockForTransaction(client, target.applyLock);
    assertOwner(await tableOwner(client, live.target), owner, config.view.table, 'replace');
    if (current) {
      const oldTarget = target.names(oldGeneration, false, current.targetTable).target;
      assertOwner(await tableOwner(client, oldTarget), owner, current.targetTable, 'drop');
      await client.query(`DROP TABLE IF EXISTS ${oldTarget}`);
      await client.query(new ViewStatements(view, target.names(oldGeneration)).dropStateTables());
    }
    await client.query(`DROP TABLE IF EXISTS ${live.target}`);
    await client.query(`ALTER TABLE ${staging.target} RENAME TO ${ident(live.targetName)}`);
    await markOwner(client, live.target, owner);
    await registry.save(client, {
      sink: stateKey,
      targetTable: config.view.table,
      fingerprint: view.fingerprint,
      generation,
      sql: config.sql,
    });
    if (options.positions) await registry.replacePositions(client, stateKey, options.positions);
  });
  return { generation, events: count, rejected };
}
