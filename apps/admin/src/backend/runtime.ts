import type { Sink } from '@distributary/core';
import type { SnapshotControls as SourceSnapshotControls } from '@distributary/control';

/** Start/pause/resume/cancel of incremental snapshots: the snapshot jobs' own controls (libs/control). */
export type SnapshotControls = Pick<SourceSnapshotControls, 'start' | 'pause' | 'resume' | 'cancel'>;

/**
 * Parts of the pipeline the admin app cannot reach through Redis or Postgres alone. The composer
 * (`distributary run`, tests) passes what runs in its process; when a part is missing the endpoint
 * answers 501 with a message saying so — it never pretends.
 */
export interface AdminRuntime {
  /** The sinks running in this process: dead letters are replayed through them. */
  sinks?: readonly Sink[];
  /** Start/pause/resume/cancel of incremental snapshots (listing reads the key layout directly). */
  snapshots?: SnapshotControls;
}
