import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { describeSetup } from '../harness/machine';
import { repoRoot } from '../harness/role-process';
import type { BenchReport } from './bench-types';

export function renderReport(report: BenchReport): string {
  const table = new Table({
    head: ['#', 'benchmark', 'figure', 'value', 'setup'],
    wordWrap: true,
    colWidths: [4, 30, 30, 16, 44],
    style: { head: [], border: [] },
  });
  for (const result of report.results) {
    const setup = Object.entries(result.setup)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ');
    if (result.error && result.figures.length === 0) {
      table.push([result.id, result.name, 'NOT MEASURED', '—', `${setup}\n${result.error}`]);
      continue;
    }
    result.figures.forEach((figure, i) =>
      table.push([
        i === 0 ? result.id : '',
        i === 0 ? result.name : '',
        figure.label,
        `${figure.value.toLocaleString('en-US')} ${figure.unit}`,
        i === 0 ? [setup, ...(result.error ? [`ERROR: ${result.error}`] : [])].join('\n') : '',
      ]),
    );
  }
  // notes go under the table, one line each: inside a cell, cli-table3 takes time quadratic in the cell's
  // height (a few hundred wrapped lines of notes took minutes to draw)
  const notes = report.results.flatMap((result) => result.notes.map((note) => `#${result.id} ${note}`));
  return [
    `distributary bench (${report.preset.name}) ${report.startedAt}`,
    `setup: ${describeSetup(report.machine)}`,
    table.toString(),
    ...(notes.length ? ['notes:', ...notes] : []),
  ].join('\n');
}

/** Writes bench-results/<timestamp>.json (git-ignored) and returns its path. */
export function writeReport(report: BenchReport): string {
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
