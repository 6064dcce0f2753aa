import type { ChangeEvent, RejectedEvent, SourceRows } from '@distributary/core';
import type { DocumentSpec } from '../document/document-spec';
import type { FoundDocument } from '../target/scan';
import type { QueryDslQueryContainer } from '@elastic/elasticsearch/lib/api/types';
import type { CommittedFloor, LookupCache } from './lookup-cache';
import type { PlannedWrite, PlannedWrites } from './planned-writes';
import type { FanOutMark } from '../fan-out/fan-out-store';

/** What planning a batch needs: the compiled spec, the source, and a way to look into the index. */
export interface PlanContext {
  spec: DocumentSpec;
  source: SourceRows;
  /** Documents of the index being written that match the query (refreshed first), `size` at a time
   *  in any order: one page in memory whatever the number found. */
  findDocuments(query: QueryDslQueryContainer, size: number): AsyncIterable<FoundDocument[]>;
  /** The same, `size` at a time (sinks with joins): one page in memory whatever the number found. */
  scanDocuments?(query: QueryDslQueryContainer, size: number): AsyncIterable<FoundDocument[]>;
  /** Roots per page of an in-batch fan-out or index search (default 1000). */
  pageSize?: number;
  /** Lookup rows shared between the partitions of this process (see LookupCache for why it is exact). */
  lookups?: { cache: LookupCache; floor: CommittedFloor };
  /** Writes (and waits for) one page of a fan-out before the next is read: memory stays bounded. */
  writePage?(writes: PlannedWrite[], rejected: RejectedEvent[]): Promise<void>;
  /** Hands the fan-out (roots reached through a changed lookup or child) to the durable queue instead
   *  of re-indexing them in this batch: coalesced across batches (fan-out/fan-out-store.ts). */
  deferFanOut?(marks: FanOutMark[]): Promise<void>;
}

export type Planner = (events: ChangeEvent[], context: PlanContext) => Promise<PlannedWrites>;
