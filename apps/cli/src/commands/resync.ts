import { Command } from 'commander';
import { configOption, loadConfigFrom, type ConfigOptions } from '../config-option';
import { withLogRedis } from '../log-connection';

/**
 * `distributary resync`: the manual start of a re-sync (what source.onSlotLost: resync does on its own).
 * Drops the slot — refused while a connector streams it — and marks the re-sync as requested, so the
 * next `run` creates a new slot, re-snapshots every published table at its consistent point and
 * reconciles every sink (rows gone in the gap are deleted everywhere), even with onSlotLost: stop.
 */
export function resyncCommand(): Command {
  return new Command('resync')
    .description('re-sync after a lost slot: new slot, re-snapshot of every table, reconcile every sink (next run)')
    .addOption(configOption())
    .addHelpText(
      'after',
      '\nStop the pipeline first (the slot must not be in use), run this, then `distributary run`.\n' +
        'Status and the dashboard show the re-sync episode and its progress.',
    )
    .action(async (options: ConfigOptions) => {
      const { config } = loadConfigFrom(options);
      const { Pool } = await import('pg');
      const { dropSlot } = await import('@distributary/connector');
      const { markResyncRequested } = await import('@distributary/control');
      const { readSlotHealth } = await import('@distributary/pg-catalog');
      const { createLogger } = await import('@distributary/observability');
      const { slot } = config.source.postgres;
      const pool = new Pool({ connectionString: config.source.postgres.url, max: 1, connectionTimeoutMillis: 5000 });
      try {
        const health = await readSlotHealth(pool, slot, config.source.slotWarnAt);
        if (health.exists && health.active) {
          process.stderr.write(
            `replication slot "${slot}" is in use (walsender pid ${health.activePid ?? '?'}): stop the pipeline first\n`,
          );
          process.exitCode = 1;
          return;
        }
        await withLogRedis(config, (redis, keys) => markResyncRequested(redis, keys));
        if (health.exists) await dropSlot(pool, slot, createLogger('resync'));
        process.stdout.write(
          `${health.exists ? `dropped replication slot "${slot}" (${health.state}${health.reason ? `: ${health.reason}` : ''})` : `replication slot "${slot}" does not exist`}\n` +
            're-sync requested: the next `distributary run` creates a new slot, re-snapshots every published table\n' +
            'and reconciles every sink (rows deleted in the gap are removed everywhere); `status` shows its progress\n',
        );
      } finally {
        await pool.end();
      }
    });
}
