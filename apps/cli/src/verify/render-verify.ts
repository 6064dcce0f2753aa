/** `distributary verify` as readable tables (cli-table3). */
import { table } from '../terminal/table';
import type { Difference, VerifyAndRepairResult, VerifyResult } from '@distributary/verify';

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function row(label: string, result: VerifyResult): (string | number)[] {
  return [
    result.sink,
    label,
    result.status + (result.error ? `: ${result.error}` : ''),
    result.lsn || '-',
    result.expectedCount,
    result.actualCount,
    result.missingCount,
    result.extraCount,
    result.differentCount,
  ];
}

function examples(result: VerifyResult): string[] {
  const lines: string[] = [];
  const add = (kind: string, list: Difference[], show: (d: Difference) => string) => {
    for (const d of list) lines.push(`  ${result.sink} ${kind} ${d.key}${show(d)}`);
  };
  add('missing', result.missing, (d) => ` expected ${short(d.expected)}`);
  add('extra', result.extra, (d) => ` found ${short(d.actual)}`);
  add('different', result.different, (d) => ` expected ${short(d.expected)} found ${short(d.actual)}`);
  if (result.ignoredMissingCount > 0)
    lines.push(
      `  ${result.sink}: ${result.ignoredMissingCount} missing cache value(s) ignored (ttl: expiry is allowed)`,
    );
  if (result.status === 'behind' && result.progress)
    lines.push(
      `  ${result.sink} is behind ${result.lsn}: connector confirmed ${result.progress.connectorConfirmedLsn ?? '-'}, ` +
        `partitions behind ${result.progress.behind.map((b) => b.partition).join(', ') || '-'}`,
    );
  return lines;
}

export function renderVerify(outcomes: VerifyAndRepairResult[]): string {
  const results = table(['sink', 'pass', 'status', 'LSN', 'source', 'target', 'missing', 'extra', 'different']);
  const details: string[] = [];
  for (const outcome of outcomes) {
    results.push(row('verify', outcome.before));
    details.push(...examples(outcome.before));
    if (outcome.repair) {
      const r = outcome.repair;
      details.push(
        `  ${r.sink} repair: ${r.viaSnapshot} key(s) re-emitted by snapshot ${r.snapshots.map((s) => `${s.id}(${s.status})`).join(', ') || '-'}, ` +
          `${r.rewritten} rewritten, ${r.deleted} deleted, ${r.skippedAsNewer} left (newer)` +
          (r.rejected.length ? `, ${r.rejected.length} rejected` : ''),
      );
      for (const note of r.notes) details.push(`  ${r.sink} repair: ${note}`);
    }
    if (outcome.after) {
      results.push(row('after repair', outcome.after));
      details.push(...examples(outcome.after));
    }
  }
  return `${results.toString()}\n${details.length ? `${details.join('\n')}\n` : ''}`;
}
