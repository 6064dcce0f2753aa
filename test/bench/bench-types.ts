import type { MachineSetup } from '../harness/machine';

export interface Preset {
  name: 'quick' | 'full';
  /** Benchmarks 1–4 and 7: N transactions × M rows of ~300 B. */
  transactions: number;
  rowsPerTransaction: number;
  /** Benchmark 5: seconds of load at each fixed rate. */
  latencySeconds: number;
  latencyRates: number[];
  /** Benchmark 6: rows in the one big transaction. */
  bigTransactionRows: number;
  workerCounts: number[];
  partitions: number;
}

export const presets: Record<Preset['name'], Preset> = {
  quick: {
    name: 'quick',
    transactions: 20,
    rowsPerTransaction: 500,
    latencySeconds: 5,
    latencyRates: [1000, 2000, 5000],
    bigTransactionRows: 100_000,
    workerCounts: [1, 2, 4],
    partitions: 8,
  },
  full: {
    name: 'full',
    transactions: 100,
    rowsPerTransaction: 1000,
    latencySeconds: 20,
    latencyRates: [1000, 2000, 5000],
    bigTransactionRows: 1_000_000,
    workerCounts: [1, 2, 4],
    partitions: 8,
  },
};

export interface Figure {
  label: string;
  value: number;
  unit: string;
}

export interface BenchResult {
  id: number;
  name: string;
  figures: Figure[];
  /** Workload and topology of this figure (rows, row size, partitions, workers…). */
  setup: Record<string, string | number>;
  notes: string[];
  /** Why the benchmark could not produce a figure (a missing piece, a failure): never a made-up number. */
  error?: string;
}

export interface BenchReport {
  startedAt: string;
  preset: Preset;
  machine: MachineSetup;
  results: BenchResult[];
}
