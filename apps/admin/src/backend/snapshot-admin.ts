import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { SnapshotJob } from '@distributary/admin-contract';
import { SourceShapeError } from '@distributary/core';
import { snapshotControls } from '@distributary/control';
import { SnapshotRequestError } from '@distributary/pg-snapshot';
import { PipelineConnections } from './pipeline-connections';
import type { SnapshotControls } from './runtime';
import { readSnapshots } from './snapshots';

/** Snapshot jobs: the list (read from the key layout) and start/pause/resume/cancel. */
@Injectable()
export class SnapshotAdmin {
  private defaultControl?: SnapshotControls;

  constructor(@Inject(PipelineConnections) private readonly connections: PipelineConnections) {}

  list(): Promise<SnapshotJob[]> {
    return readSnapshots(this.connections.redis, this.connections.keys);
  }

  start(tables?: string[], where?: string): Promise<unknown> {
    return refused(this.control().start({ tables, where }));
  }
  pause(id: string): Promise<unknown> {
    return refused(this.control().pause(id));
  }
  resume(id: string): Promise<unknown> {
    return refused(this.control().resume(id));
  }
  cancel(id: string): Promise<unknown> {
    return refused(this.control().cancel(id));
  }

  /** In-process control when the composer passes one; otherwise through the log Redis (the active
   *  connector runs the snapshot jobs wherever it is). */
  private control(): SnapshotControls {
    const { redis, keys, pool, config, settings } = this.connections;
    // With the source pool: a `where` is checked against the table's real columns before it is recorded.
    this.defaultControl ??= snapshotControls(redis, keys, config.source.tables, { source: pool });
    return settings.runtime.snapshots ?? this.defaultControl;
  }
}

/** A refused snapshot request (bad condition, unknown table) or an operation the state does not
 *  allow (already done…) is the caller's 400, an unknown id a 404; anything else (Redis or Postgres
 *  down) stays an internal error, so no driver message reaches the caller. */
function refused<T>(operation: Promise<T>): Promise<T> {
  return operation.catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (/^no snapshot /.test(message)) throw new NotFoundException(message);
    if (
      error instanceof SnapshotRequestError ||
      error instanceof SourceShapeError ||
      /^(not a published table|snapshot \S+ is )/.test(message)
    )
      throw new BadRequestException(message);
    throw error;
  });
}
