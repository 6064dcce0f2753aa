import type { MaterializedViewSinkConfig } from '@distributary/config';
import { ViewRegistry } from './view-registry';
import { DEFAULT_PIPELINE, viewStateKey, type ViewOwner } from './view-ownership';
import { viewTableNames, type ViewTableNames } from './view-tables';

const DEFAULT_STATE_SCHEMA = 'distributary_views';

/**
 * Where one view sink keeps its view in the target database: its state schema and registry, its key
 * there (the sink name within its pipeline), the owner marker of its table, and its tables' names by
 * generation.
 */
export class ViewTarget {
  readonly stateSchema: string;
  readonly registry: ViewRegistry;
  /** Registry, positions, state tables and locks are keyed by this: the sink name within its pipeline. */
  readonly stateKey: string;
  readonly owner: ViewOwner;
  /** The advisory lock under which this sink's batches, repairs and swaps run one at a time. */
  readonly applyLock: string;

  constructor(
    readonly config: MaterializedViewSinkConfig,
    pipeline?: string,
  ) {
    this.stateSchema = config.view.stateSchema ?? DEFAULT_STATE_SCHEMA;
    this.registry = new ViewRegistry(this.stateSchema);
    this.owner = { pipeline: pipeline ?? DEFAULT_PIPELINE, sink: config.name };
    this.stateKey = viewStateKey(config.name, pipeline);
    this.applyLock = `distributary-view:${this.stateKey}`;
  }

  names(generation: number, staging = false, targetTable = this.config.view.table): ViewTableNames {
    return viewTableNames({ stateSchema: this.stateSchema, sink: this.stateKey, generation, targetTable, staging });
  }
}
