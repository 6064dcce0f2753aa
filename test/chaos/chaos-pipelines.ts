/**
 * The pipelines of a chaos run. The first is the classic one; with `secondPipeline` a second one with
 * the SAME sink names shares every store (source database, log Redis, Elasticsearch, cache Redis, view
 * database — the source cluster or, in the full run, a second cluster): its own pipeline name (= log
 * namespace), slot and publication, and its own index, cache prefix and view tables, as the isolation
 * rules require.
 */
import { join } from 'node:path';
import { Pipeline } from '../harness/pipeline';
import { ACCOUNTS_MAPPING, STATUS_VIEW_SQL } from './poison';
import { CHAOS_TABLES, CHAOS_VIEW_SQL } from './workload';
import type { ChaosTargets } from './sink-checks';

export const SINKS = ['accounts-search', 'notes-cache', 'orders-by-account'];
export const STATUS_SINK = 'orders-by-status';
/** The joined Elasticsearch sinks (`--joined`): orders with their account's name, a lookup on its key... */
export const JOINED_SINK = 'orders-search';
/** ...and accounts with their notes, children joined on a foreign key (the hidden refs field's path). */
export const CHILDREN_SINK = 'accounts-notes';

/** The children sink's document: notes re-parented without their old account_id are found by the refs. */
export const ACCOUNTS_NOTES_DOCUMENT = {
  id: 'id',
  name: 'name',
  notes: { children: 'public.notes', on: { account_id: 'id' }, fields: ['id', 'body'] },
};

/** The joined sink's document: a lookup joined on the related table's primary key (no hidden refs field). */
export const ORDERS_DOCUMENT = {
  id: 'id',
  account_id: 'account_id',
  amount: 'amount',
  status: 'status',
  account: { from: 'public.accounts', on: { id: 'account_id' }, fields: ['name'] },
};

export interface ChaosPipeline {
  pipeline: Pipeline;
  targets: ChaosTargets;
  sinks: string[];
}

export interface PipelineSetup {
  name: string;
  /** Suffix of view table names ('' for the first pipeline). */
  tableSuffix: string;
  sourceUrl: string;
  /** Where the view sinks write (the source cluster, or a second one). */
  viewUrl: string;
  logRedisUrl: string;
  esProxyUrl: string;
  esUrl: string;
  cacheRedisUrl: string;
  partitions: number;
  logDir: string;
  /** Add the orders-by-status view and the explicit ES mapping the poison rows need. */
  poison: boolean;
  /** Add the joined Elasticsearch sinks (JOINED_SINK: a lookup; CHILDREN_SINK: children). */
  joined?: boolean;
}

export function chaosPipeline(setup: PipelineSetup): ChaosPipeline {
  const { name } = setup;
  const esIndex = `${name}-accounts`;
  const cachePrefix = `${name}:note:`;
  const viewTable = `public.orders_by_account${setup.tableSuffix}`;
  const statusViewTable = `public.orders_by_status${setup.tableSuffix}`;
  const joinedIndex = `${name}-orders`;
  const childrenIndex = `${name}-accounts-notes`;
  const sinks: Record<string, unknown>[] = [
    {
      name: SINKS[0],
      elasticsearch: {
        url: setup.esProxyUrl,
        index: esIndex,
        ...(setup.poison ? { mappings: ACCOUNTS_MAPPING } : {}),
      },
      from: 'public.accounts',
    },
    {
      name: SINKS[1],
      redis: { url: setup.cacheRedisUrl },
      // the sink's row-state keys: under this run's name, not the default distributary:<pipeline>:<sink>
      namespace: `${name}:cache-state`,
      from: 'public.notes',
      key: `${cachePrefix}{id}`,
    },
    { name: SINKS[2], view: { postgres: setup.viewUrl, table: viewTable }, sql: CHAOS_VIEW_SQL },
  ];
  if (setup.poison)
    sinks.push({
      name: STATUS_SINK,
      view: { postgres: setup.viewUrl, table: statusViewTable },
      sql: STATUS_VIEW_SQL,
    });
  const joinedSinks: [string, string, string, Record<string, unknown>][] = [
    [JOINED_SINK, joinedIndex, 'public.orders', ORDERS_DOCUMENT],
    [CHILDREN_SINK, childrenIndex, 'public.accounts', ACCOUNTS_NOTES_DOCUMENT],
  ];
  if (setup.joined)
    for (const [sinkName, index, from, document] of joinedSinks)
      sinks.push({ name: sinkName, elasticsearch: { url: setup.esProxyUrl, index }, from, document });
  const pipeline = new Pipeline({
    name,
    sourceUrl: setup.sourceUrl,
    tables: CHAOS_TABLES,
    logRedisUrl: setup.logRedisUrl,
    partitions: setup.partitions,
    snapshot: 'never',
    batchSize: 500,
    logDir: join(setup.logDir, name),
    sinks,
  });
  return {
    pipeline,
    sinks: sinks.map((s) => s.name as string),
    targets: {
      sourceUrl: setup.sourceUrl,
      viewUrl: setup.viewUrl,
      esUrl: setup.esUrl,
      esIndex,
      cacheRedisUrl: setup.cacheRedisUrl,
      cachePrefix,
      viewTable,
      ...(setup.poison ? { statusViewTable } : {}),
      ...(setup.joined ? { joinedIndex, childrenIndex } : {}),
      label: name,
    },
  };
}
