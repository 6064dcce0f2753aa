import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { DeadLetterPage } from '@distributary/admin-contract';
import { resyncDeadLetters } from '@distributary/control';
import { listDeadLetters } from './dead-letter-view';
import { PipelineConnections } from './pipeline-connections';
import { PipelineStatus } from './pipeline-status';

/** A sink's dead letters: browse, drop, and re-sync from the source. */
@Injectable()
export class DeadLetterAdmin {
  constructor(
    @Inject(PipelineConnections) private readonly connections: PipelineConnections,
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
  ) {}

  async list(sink: string, options: { after?: string; limit: number; full?: boolean }): Promise<DeadLetterPage> {
    await this.status.requireSink(sink);
    return listDeadLetters(this.connections.log, sink, options);
  }

  async drop(sink: string, ids?: string[]): Promise<{ dropped: number }> {
    await this.status.requireSink(sink);
    return { dropped: await this.connections.log.deadLetters.drop(sink, ids ?? 'all') };
  }

  /**
   * Re-syncs the dead-lettered keys from the source (an incremental snapshot the connector runs), never
   * the stale events: a row deleted meanwhile stays deleted. 503 when no connector picks it up.
   */
  async replay(sink: string, ids?: string[]): Promise<{ replayed: number; failed: number }> {
    await this.status.requireSink(sink);
    try {
      const result = await resyncDeadLetters(this.connections.log, sink, {
        ...(ids ? { ids } : {}),
        pickupMs: this.connections.settings.dlqPickupMs,
      });
      return { replayed: result.replayed, failed: result.failed };
    } catch (error) {
      throw new ServiceUnavailableException(error instanceof Error ? error.message : String(error));
    }
  }
}
