import { escapeLiteral, type ClientBase } from 'pg';
import { DistributaryError } from '@distributary/core';

/** The default pipeline keeps the bare sink name, so existing installations keep their state. */
export const DEFAULT_PIPELINE = 'distributary';
const MARKER = 'distributary view; pipeline=';
const SINK = '; sink=';

/**
 * Pipelines share target databases safely. A pipeline's identity is its log namespace; everything a
 * view sink keeps (registry entry, positions, state tables, advisory locks) is keyed by
 * viewStateKey(pipeline, sink), and the view table it maintains carries an ownership marker in its
 * COMMENT. A sink refuses to write into, or rebuild, a table another pipeline (or another sink)
 * owns — with an error naming both — instead of dropping it.
 */
export interface ViewOwner {
  pipeline: string;
  sink: string;
}

export function viewStateKey(sink: string, pipeline = DEFAULT_PIPELINE): string {
  return pipeline === DEFAULT_PIPELINE ? sink : `${pipeline}:${sink}`;
}

export function ownerComment(owner: ViewOwner): string {
  return `${MARKER}${owner.pipeline}${SINK}${owner.sink}`;
}

/** Parses the marker (plain prefix and separator search, linear in the comment's length). */
export function parseOwner(comment: string | null): ViewOwner | undefined {
  if (!comment?.startsWith(MARKER)) return undefined;
  const rest = comment.slice(MARKER.length);
  const at = rest.indexOf(SINK);
  if (at < 0) return undefined;
  return { pipeline: rest.slice(0, at), sink: rest.slice(at + SINK.length) };
}

/** The owner marked on a table: undefined when unmarked, null when the table does not exist. */
export async function tableOwner(client: ClientBase, qualified: string): Promise<ViewOwner | undefined | null> {
  const { rows } = await client.query<{ found: string | null; comment: string | null }>(
    `SELECT to_regclass($1)::text AS found, obj_description(to_regclass($1), 'pg_class') AS comment`,
    [qualified],
  );
  if (!rows[0].found) return null;
  return parseOwner(rows[0].comment);
}

export async function markOwner(client: ClientBase, qualified: string, owner: ViewOwner): Promise<void> {
  await client.query(`COMMENT ON TABLE ${qualified} IS ${escapeLiteral(ownerComment(owner))}`);
}

/** Refuses when the table is marked as another pipeline's or another sink's. */
export function assertOwner(found: ViewOwner | undefined | null, me: ViewOwner, table: string, what: string): void {
  if (!found || (found.pipeline === me.pipeline && found.sink === me.sink)) return;
  throw new DistributaryError(
    `view ${me.sink} (pipeline ${me.pipeline}) refuses to ${what} ${table}: it belongs to sink ${found.sink} of ` +
      `pipeline ${found.pipeline} (its COMMENT says so); choose another view.table`,
  );
}
