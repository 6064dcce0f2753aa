import type { BenchResult, Figure } from './bench-types';

/**
 * `--repeat N` for the benchmarks that do not repeat themselves (every one but 1 and 6): main.ts runs
 * them in N rounds, alternating (2, 3, 4, 5, 7, then 2, 3, … again), so a machine that slows down
 * during the run weighs on every figure alike, and each round's ratios (3 and 4 against 2) are taken
 * against that round's ceiling. This merges the rounds of one benchmark into one result: each figure
 * is the median of its rounds (the lower middle value for an even count: never a value no round
 * measured), and a note lists every round's value, so the spread is printed beside the median.
 * A round that failed is kept as an error note; the benchmark fails only if every round failed.
 */
export function mergeRounds(rounds: BenchResult[]): BenchResult {
  if (rounds.length === 1) return rounds[0];
  const measured = rounds.filter((round) => !round.error);
  const failures = rounds.filter((round) => round.error).map((round) => round.error as string);
  if (measured.length === 0) return { ...rounds[0], error: failures.join(' | ') };
  const first = measured[0];
  const figures: Figure[] = [];
  const spread: string[] = [];
  for (const figure of first.figures) {
    const values = measured
      .map((round) => round.figures.find((f) => f.label === figure.label)?.value)
      .filter((value): value is number => value !== undefined && Number.isFinite(value));
    figures.push({ ...figure, value: lowerMedian(values) });
    spread.push(`${figure.label}: ${values.map(formatValue).join(' / ')}`);
  }
  return {
    ...first,
    figures,
    setup: { ...first.setup, rounds: `${measured.length} of ${rounds.length} (median)` },
    notes: [
      `median of ${measured.length} rounds, each round's value in order: ${spread.join('; ')}`,
      ...failures.map((error, i) => `round failed (${i + 1} of ${failures.length}): ${error}`),
      ...measured.flatMap((round, i) => round.notes.map((note) => `round ${i + 1}: ${note}`)),
    ],
  };
}

function lowerMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}
