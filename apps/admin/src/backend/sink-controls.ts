import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { PipelineConnections } from './pipeline-connections';
import { PipelineStatus } from './pipeline-status';
import { replayPosition } from './replay-position';

/** Pause, resume and replay of a sink, through Redis: every worker honours the paused set and position
 *  resets. */
@Injectable()
export class SinkControls {
  constructor(
    @Inject(PipelineConnections) private readonly connections: PipelineConnections,
    @Inject(PipelineStatus) private readonly status: PipelineStatus,
  ) {}

  async pause(name: string): Promise<{ sink: string; paused: boolean }> {
    await this.status.requireSink(name);
    await this.connections.log.sinks.pause(name);
    return { sink: name, paused: true };
  }

  async resume(name: string): Promise<{ sink: string; paused: boolean }> {
    await this.status.requireSink(name);
    await this.connections.log.sinks.resume(name);
    return { sink: name, paused: false };
  }

  /** Resets the sink's committed position on every partition (the owners are fenced out and re-read). */
  async replay(name: string, from: string): Promise<{ sink: string; position: string }> {
    await this.status.requireSink(name);
    const position = replayPosition(from);
    const { log, config } = this.connections;
    const configured = config.sinks.find((s) => s.name === name);
    if (configured && 'view' in configured)
      // A view stores its own positions and cumulative state: resetting log positions would change nothing.
      throw new BadRequestException(
        `sink ${name} is a materialized view: its state is cumulative, so a position reset changes nothing; ` +
          `\`distributary replay ${name} --from start\` rebuilds it from the compacted log`,
      );
    await log.positions.replay(name, position);
    return { sink: name, position: position ?? 'start' };
  }
}
