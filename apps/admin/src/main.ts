import { loadConfig, resolveConfigPath } from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { startAdmin } from './start-admin';
import { treatProtoAsOrdinaryKey } from '@distributary/core';

treatProtoAsOrdinaryKey(); // column names are data: see libs/core/src/proto-key.ts

/** Standalone admin API + dashboard: `npx tsx apps/admin/src/main.ts [--config file]`
 *  (default: env DISTRIBUTARY_CONFIG, then ./distributary.yaml). */
async function main(): Promise<void> {
  const flag = process.argv.indexOf('--config');
  const file = resolveConfigPath(flag >= 0 ? process.argv[flag + 1] : process.argv[2]);
  const admin = await startAdmin(loadConfig(file));
  const stop = (): void => void admin.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof Error && error.name.startsWith('Config')) console.error(error.message);
  else createLogger('admin').fatal({ err: error }, 'admin API failed to start');
  process.exit(1);
});
