import type { PoolClient } from 'pg';
import { DistributaryError } from '@distributary/core';
import { isRetryable } from '../write/pg-errors';
import type { ResolvedView } from '../parse/resolve-view';
import { lockForTransaction, runAll } from './target-connection';
import type { TransactionGate } from '../write/transaction-gate';
import { assertOwner, markOwner, tableOwner } from './view-ownership';
import type { RegisteredView } from './view-registry';
import { ViewStatements } from '../plan/view-statements';
import type { ViewTarget } from './view-target';

const DDL_LOCK = 'distributary-views-ddl';

/**
 * On open, inside one transaction: the bookkeeping tables exist, and the view is registered and its
 * table built and owned by this sink — or, when it was built before, checked to still be this sink's
 * and to fit the source. Returns the registration (its fingerprint or table differing from `view`
 * means the view must be rebuilt).
 */
export async function prepareTarget(
  client: PoolClient,
  target: ViewTarget,
  view: ResolvedView,
  gate: TransactionGate | undefined,
): Promise<RegisteredView> {
  const { config, owner, registry, stateKey } = target;
  await lockForTransaction(client, DDL_LOCK);
  await runAll(client, [...registry.createTables(), ...(gate?.createTables() ?? [])]);
  const found = await registry.find(client, stateKey);
  if (found) {
    const built = target.names(found.generation, false, found.targetTable).target;
    const existing = await tableOwner(client, built);
    assertOwner(existing, owner, found.targetTable, 'maintain');
    if (existing === undefined) await markOwner(client, built, owner); // built before markers: claim it
    if (found.fingerprint === view.fingerprint && found.targetTable === config.view.table)
      await validateStatements(client, new ViewStatements(view, target.names(found.generation)), config.name);
    else assertOwner(await tableOwner(client, target.names(1).target), owner, config.view.table, 'rebuild into');
    return found;
  }
  const names = target.names(1);
  const existing = await tableOwner(client, names.target);
  assertOwner(existing, owner, config.view.table, 'create');
  if (existing !== null)
    throw new DistributaryError(
      `view ${config.name}: target table ${config.view.table} already exists and is not managed by this sink; ` +
        `drop it or choose another view.table`,
    );
  const statements = new ViewStatements(view, names);
  await runAll(client, statements.createTables());
  // Still inside the creating transaction: a view that does not fit its source leaves nothing behind.
  await validateStatements(client, statements, config.name);
  await markOwner(client, names.target, owner);
  const created = {
    sink: stateKey,
    targetTable: config.view.table,
    fingerprint: view.fingerprint,
    generation: 1,
    sql: config.sql,
  };
  await registry.save(client, created);
  return created;
}

/** Runs the view's statements once against empty input, so type mismatches fail at open(). */
async function validateStatements(client: PoolClient, statements: ViewStatements, name: string): Promise<void> {
  try {
    await client.query(statements.contributionsOf(), [[]]);
    await client.query(statements.refreshTargetRows(), [[]]);
  } catch (error) {
    if (isRetryable(error)) throw error;
    throw new DistributaryError(
      `view ${name}: the view SQL does not fit the source columns: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
