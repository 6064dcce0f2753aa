import type { PoolClient } from 'pg';
import {
  type ChangeEvent,
  FencedError,
  type RejectedEvent,
  RetryableError,
  type SinkBatch,
  compareIds,
  maxId,
  positionToId,
} from '@distributary/core';
import { applyPrepared, findUnconvertible, prepareEvents } from './apply-events';
import { classifyTargetError, isDataError } from './pg-errors';
import type { ResolvedView } from '../parse/resolve-view';
import type { ShapeWatch } from '../target/shape-watch';
import { lockForTransaction, type TargetConnection } from '../target/target-connection';
import type { TombstonePurge } from './tombstone-purge';
import { TransactionGate } from './transaction-gate';
import type { ViewStatements } from '../plan/view-statements';
import type { ViewTarget } from '../target/view-target';

export interface BatchApplyContext {
  connection: TargetConnection;
  target: ViewTarget;
  view: ResolvedView;
  statements: ViewStatements;
  shapes: ShapeWatch;
  purge: TombstonePurge;
  gate?: TransactionGate;
}

export interface BatchOutcome {
  /** The batch's events above the stored position. */
  fresh: ChangeEvent[];
  applied: number;
  skipped: number;
  rejected: RejectedEvent[];
  groupsTouched: number;
}

/**
 * One batch in ONE target transaction with the partition's new position (exactly once): events at or
 * below the stored position are skipped, a batch under an older fencing token is refused. Values that
 * do not convert are found after the first failed attempt and rejected (the rest applied again),
 * unless the source changed shape: then the view reshapes before the next batch.
 */
export async function applyBatch(context: BatchApplyContext, batch: SinkBatch): Promise<BatchOutcome> {
  const { connection, target, statements, shapes } = context;
  const name = target.config.name;
  const unconvertible: RejectedEvent[] = [];
  const excluded = new Set<string>();
  let attempted: ChangeEvent[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const outcome = await connection.transaction(async (client) => {
        await lockForTransaction(client, target.applyLock);
        const stored = await target.registry.lockPosition(client, target.stateKey, batch.partition);
        if (stored && batch.fencingToken < stored.fencingToken)
          throw new FencedError(
            `view ${name} partition ${batch.partition}: batch read under fencing token ${batch.fencingToken}, ` +
              `but token ${stored.fencingToken} already applied; this worker lost its lease`,
          );
        const fresh = batch.events.filter((event) => !stored || compareIds(positionToId(event.pos), stored.lastId) > 0);
        attempted = await eventsToApply(client, context.gate, fresh);
        const prepared = prepareEvents(
          context.view,
          attempted.filter((event) => !excluded.has(positionToId(event.pos))),
        );
        const result = await applyPrepared(client, statements, prepared);
        const lastId = stored ? maxId(stored.lastId, batch.lastId) : batch.lastId;
        const fencingToken = Math.max(stored?.fencingToken ?? 0, batch.fencingToken);
        await target.registry.savePosition(client, target.stateKey, batch.partition, { lastId, fencingToken });
        await context.purge.afterBatch(client, statements);
        return { result, fresh };
      });
      const rejected = [...unconvertible, ...outcome.result.rejected];
      return {
        fresh: outcome.fresh,
        applied: Math.max(0, outcome.fresh.length - rejected.length),
        skipped: batch.events.length - outcome.fresh.length,
        rejected,
        groupsTouched: outcome.result.groupsTouched,
      };
    } catch (error) {
      if (attempt === 0 && isDataError(error)) {
        const changed = await shapes.changedBy(batch.events, true);
        if (changed) {
          shapes.reshapeNext(changed);
          throw new RetryableError(`view ${name}: a source table changed shape (${changed}); rebuilding`);
        }
        const prepared = prepareEvents(context.view, attempted);
        const found = await connection.withClient((client) => findUnconvertible(client, statements, prepared));
        if (found.length) {
          for (const entry of found) excluded.add(positionToId(entry.event.pos));
          unconvertible.push(...found);
          continue;
        }
      }
      throw classifyTargetError(error, `view ${name} partition ${batch.partition}`);
    }
  }
}

/** The events a batch makes visible: all of them, or with the transaction gate, whole source transactions. */
async function eventsToApply(
  client: PoolClient,
  gate: TransactionGate | undefined,
  fresh: ChangeEvent[],
): Promise<ChangeEvent[]> {
  if (!gate) return fresh;
  await gate.stage(
    client,
    fresh.filter((event) => !TransactionGate.passesThrough(event)),
  );
  const released = await gate.release(client);
  return [...fresh.filter((event) => TransactionGate.passesThrough(event)), ...released];
}
