/** The configuration as it may be shown (status output, API responses): no password, no token. */
import { REDACTED, redactSecrets } from '@distributary/observability';
import type { DistributaryConfig } from './schema/root';
import { registerConfigSecrets } from './secrets';

export function redactConfig(config: DistributaryConfig): DistributaryConfig {
  registerConfigSecrets(config);
  const redacted = redactSecrets(config);
  return {
    ...redacted,
    admin: { ...redacted.admin, tokens: config.admin.tokens.map((t) => ({ role: t.role, token: REDACTED })) },
  };
}
