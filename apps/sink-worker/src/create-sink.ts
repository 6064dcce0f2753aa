import type { Sink } from '@distributary/core';
import { sinkKind, type SinkConfig } from '@distributary/config';

/**
 * Maps a sink's configuration to its Sink instance. The three sink libraries are being written in
 * parallel; the lead wires their constructors here (one line per kind). Until a kind is wired the
 * worker refuses to start with this message instead of running without the sink.
 */
export const sinkConstructors: Partial<
  Record<ReturnType<typeof sinkKind>, (config: SinkConfig) => Sink | Promise<Sink>>
> = {};

export async function createSink(config: SinkConfig): Promise<Sink> {
  const kind = sinkKind(config);
  const construct = sinkConstructors[kind];
  if (!construct) {
    throw new Error(
      `sink "${config.name}": kind "${kind}" is not wired into the sink worker (apps/sink-worker/src/create-sink.ts)`,
    );
  }
  return construct(config);
}
