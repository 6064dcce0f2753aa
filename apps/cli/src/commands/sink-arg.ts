import type { DistributaryConfig, SinkConfig } from '@distributary/config';
import { ExitError, EXIT_FAILURE } from '../exit-codes';

/** The configured sink of that name, or a clear error listing the ones that exist. */
export function findSink(config: DistributaryConfig, name: string): SinkConfig {
  const sink = config.sinks.find((s) => s.name === name);
  if (sink) return sink;
  const known = config.sinks.map((s) => s.name).join(', ') || 'none configured';
  throw new ExitError(EXIT_FAILURE, `unknown sink "${name}" (configured sinks: ${known})`);
}

export function parsePartitions(values: string[] | undefined, partitions: number): number[] | undefined {
  if (!values?.length) return undefined;
  return values.map((value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n >= partitions) {
      throw new ExitError(EXIT_FAILURE, `--partition ${value}: expected a partition number 0..${partitions - 1}`);
    }
    return n;
  });
}
