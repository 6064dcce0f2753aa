import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { Command } from 'commander';
import type { Row } from '@distributary/core';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { ExitError, EXIT_FAILURE } from '../exit-codes';
import { toJson } from '../json-output';
import { withLogRedis } from '../log-connection';

interface SnapshotOptions extends ConfigOptions {
  key?: string;
  where?: string;
  pause?: string;
  resume?: string;
  cancel?: string;
  chunk: string;
  wait?: boolean;
  list?: boolean;
  json?: boolean;
}

const FINISHED = new Set(['done', 'failed', 'cancelled']);

export function snapshotCommand(): Command {
  return new Command('snapshot')
    .description('start an incremental snapshot (watermark chunks) of tables while streaming goes on')
    .argument('[tables...]', 'tables to snapshot (default: every source table)')
    .addOption(configOption())
    .option('--key <json>', 'only the rows with these primary keys (a JSON list of key objects, e.g. [{"id":7}])')
    .option(
      '--where <sql>',
      'only the rows matching this SQL condition (e.g. "updated_at > now() - interval \'1 day\'")',
    )
    .option('--chunk <rows>', 'rows per chunk', '1000')
    .option('--pause <id>', 'pause a running snapshot (it stops after its current chunk)')
    .option('--resume <id>', 'resume a paused or failed snapshot where it stopped')
    .option('--cancel <id>', 'cancel a snapshot')
    .option('--wait', 'wait until the snapshots finished, printing their progress')
    .option('--list', 'list recent snapshots instead of starting one')
    .option('--json', 'print the snapshot records as JSON')
    .addHelpText(
      'after',
      '\nThe active connector runs the snapshot: each chunk is read between a low and a high watermark; rows\n' +
        'changed in between are dropped from the chunk (the log already has newer versions). Progress is\n' +
        'persisted; a restart resumes. Without a running connector the snapshot waits in the queue.',
    )
    .action(async (tables: string[], options: SnapshotOptions) => {
      const { config } = loadConfigFrom(options);
      const { requestSnapshot, resumeSnapshot, SnapshotRequests } = await import('@distributary/control');
      const { parseSnapshotWhere, SnapshotRequestError } = await import('@distributary/pg-snapshot');
      await withLogRedis(config, async (redis, keys) => {
        const requests = new SnapshotRequests(redis, keys);
        const control = options.pause
          ? () => requests.setStatus(options.pause as string, 'paused')
          : options.resume
            ? () => resumeSnapshot(redis, keys, options.resume as string)
            : options.cancel
              ? () => requests.setStatus(options.cancel as string, 'cancelled')
              : undefined;
        if (control) {
          try {
            const record = await control();
            process.stdout.write(options.json ? `${toJson(record)}\n` : `snapshot ${record.id}: ${record.status}\n`);
          } catch (error) {
            throw new ExitError(EXIT_FAILURE, error instanceof Error ? error.message : String(error));
          }
          return;
        }
        if (options.list) {
          const records = await requests.list();
          process.stdout.write(
            options.json
              ? `${toJson(records)}\n`
              : records.map((r) => `${r.id}  ${r.table}  ${r.status}  ${r.rowsDone} rows\n`).join('') ||
                  'no snapshots\n',
          );
          return;
        }
        const chosen = tables.length ? tables.map(qualify) : config.source.tables;
        const unknown = chosen.filter((t) => !config.source.tables.includes(t));
        if (unknown.length) {
          throw new ExitError(
            EXIT_FAILURE,
            `not a source table: ${unknown.join(', ')} (source.tables: ${config.source.tables.join(', ')})`,
          );
        }
        const chunkSize = Number(options.chunk);
        if (!Number.isInteger(chunkSize) || chunkSize < 1) {
          throw new ExitError(EXIT_FAILURE, `--chunk ${options.chunk}: expected a positive whole number`);
        }
        const keyRows = options.key ? parseKeys(options.key) : undefined;
        const records = [];
        try {
          // Checked once before anything is recorded: a refused condition starts no snapshot.
          const where = options.where === undefined ? undefined : await parseSnapshotWhere(options.where);
          for (const table of chosen) {
            records.push(await requestSnapshot(redis, keys, { table, keys: keyRows, where, chunkSize, reason: 'cli' }));
          }
        } catch (error) {
          if (error instanceof SnapshotRequestError) throw new ExitError(EXIT_FAILURE, `--${error.message}`);
          throw error;
        }
        if (!options.json) {
          for (const r of records) process.stdout.write(`snapshot ${r.id} of ${r.table} queued\n`);
        }
        if (!options.wait) {
          if (options.json) process.stdout.write(`${toJson(records)}\n`);
          return;
        }
        const finished = await waitForAll(
          requests,
          records.map((r) => r.id),
        );
        if (options.json) process.stdout.write(`${toJson(finished)}\n`);
        if (finished.some((r) => r.status !== 'done')) process.exitCode = EXIT_FAILURE;
      });
    });
}

function qualify(table: string): string {
  return table.includes('.') ? table : `public.${table}`;
}

function parseKeys(json: string): Row[] {
  try {
    const parsed = JSON.parse(json) as unknown;
    if (Array.isArray(parsed) && parsed.every((k) => k && typeof k === 'object' && !Array.isArray(k))) {
      return parsed as Row[];
    }
  } catch {
    // reported below
  }
  throw new ExitError(EXIT_FAILURE, `--key: expected a JSON list of key objects like [{"id":7}], found ${json}`);
}

interface SnapshotRecordLike {
  id: string;
  table: string;
  status: string;
  rowsDone: number;
  estimatedTotal: number;
  error?: string;
  progress?: { rowsPerSecond: number };
}

/** Waits for the snapshots, with one cli-progress bar per snapshot on a terminal (log lines otherwise). */
async function waitForAll(
  requests: { get(id: string): Promise<SnapshotRecordLike | null> },
  ids: string[],
): Promise<SnapshotRecordLike[]> {
  const last = new Map<string, string>();
  const tty = Boolean(process.stderr.isTTY);
  const bars = tty
    ? new MultiBar(
        {
          format:
            ' {table} |{bar}| {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | {status}',
          hideCursor: true,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  const byId = new Map<string, SingleBar>();
  try {
    for (;;) {
      const records = (await Promise.all(ids.map((id) => requests.get(id)))).filter(
        (r): r is SnapshotRecordLike => r !== null,
      );
      for (const r of records) {
        if (bars) {
          const total = Math.max(r.estimatedTotal, r.rowsDone, 1);
          const payload = { table: r.table, status: r.status, rate: r.progress?.rowsPerSecond ?? 0 };
          let bar = byId.get(r.id);
          if (!bar) byId.set(r.id, (bar = bars.create(total, r.rowsDone, payload)));
          bar.setTotal(r.status === 'done' ? r.rowsDone || 1 : total);
          bar.update(r.status === 'done' ? r.rowsDone || 1 : r.rowsDone, payload);
          continue;
        }
        const line = `${r.id} ${r.table}: ${r.status}, ${r.rowsDone}/${r.estimatedTotal || '?'} rows${r.error ? ` (${r.error})` : ''}`;
        if (last.get(r.id) !== line) process.stderr.write(`${line}\n`);
        last.set(r.id, line);
      }
      if (records.length === ids.length && records.every((r) => FINISHED.has(r.status))) return records;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    bars?.stop();
  }
}
