/**
 * A row as the gateway sends it (docs/gateway.md): the subscription's projected columns. Rows and
 * keys are exactJson: int8/numeric as strings.
 */
export type Row = Record<string, unknown>;
/** A row's primary key columns and values. */
export type RowKey = Record<string, unknown>;
/** Parameter values in the query string (and in the token). */
export type SubscriptionParams = Record<string, string | number>;

/**
 * What an application knows about its subscriptions, for typing: the parameters and the row type of
 * each subscription in its `subscriptions:` config, e.g.
 * `{ 'products-by-category': { params: { category: string }; row: Product } }`.
 */
export type SubscriptionTypes = Record<string, { params: SubscriptionParams; row: Row }>;

export type ChangeKind = 'insert' | 'update' | 'delete';

/** One live change to a row of the copy (initial rows arrive together with `onReady`). */
export interface Change<R extends Row = Row> {
  kind: ChangeKind;
  key: RowKey;
  /** The row after the change (absent on delete). */
  row?: R;
  /** The commit LSN of the change's transaction. */
  lsn?: string;
  /** The stream position after this change's transaction (resume from here; opaque). */
  id: string;
}

/**
 * connecting: first connection; syncing: receiving an initial state or catching up; live: caught up;
 * reconnecting: waiting to connect again (network, lagging, token refresh); closed: close() was
 * called; failed: gave up (refused token, unknown subscription, bad parameters, overflow).
 */
export type SubscriptionStatus = 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'closed' | 'failed';
