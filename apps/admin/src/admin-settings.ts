import { resolve } from 'node:path';
import type { DistributaryConfig } from '@distributary/config';
import type { FailureLimiterOptions } from './auth/failure-limiter';
import { parseTokenList, type AdminToken } from './auth/token-store';
import type { AdminRuntime } from './backend/runtime';

/** Everything the admin module is built from: the validated config, the tokens (config + env), the
 *  in-process runtime controls (optional), and where the dashboard build lives. */
export interface AdminSettings {
  config: DistributaryConfig;
  tokens: AdminToken[];
  runtime: AdminRuntime;
  dashboardDir: string | null;
  /** Sampling interval of the live metrics (default 1000 ms). */
  sampleIntervalMs: number;
  dlqPickupMs: number;
  /** Wrong tokens allowed per client address and window before it gets 429. */
  tokenFailures: FailureLimiterOptions;
}

/** Default: 20 wrong tokens per address per minute. */
export const TOKEN_FAILURES: FailureLimiterOptions = { max: 20, windowMs: 60_000, maxClients: 10_000 };

export interface AdminOptions {
  runtime?: AdminRuntime;
  /** Directory of the dashboard build; default apps/dashboard/dist; null serves no dashboard. */
  dashboardDir?: string | null;
  /** Tokens from the environment; default process.env.DISTRIBUTARY_ADMIN_TOKENS. */
  envTokens?: string;
  sampleIntervalMs?: number;
  /** Overrides admin.port (0 picks a free port, for tests). */
  port?: number;
  /** Overrides the token-failure rate limit (TOKEN_FAILURES). */
  tokenFailures?: FailureLimiterOptions;
  /** How long a dead-letter re-sync snapshot may wait for a connector (default 15 s). */
  dlqPickupMs?: number;
}

export const ADMIN_SETTINGS = Symbol('ADMIN_SETTINGS');

export function resolveAdminSettings(config: DistributaryConfig, options: AdminOptions = {}): AdminSettings {
  // loadConfig already merges DISTRIBUTARY_ADMIN_TOKENS; a config built otherwise gets them here.
  const tokens: AdminToken[] = [];
  for (const token of [
    ...(config.admin?.tokens ?? []),
    ...parseTokenList(options.envTokens ?? process.env.DISTRIBUTARY_ADMIN_TOKENS),
  ]) {
    if (!tokens.some((t) => t.token === token.token && t.role === token.role)) tokens.push(token);
  }
  if (tokens.length === 0)
    throw new Error(
      'the admin API needs at least one token: set admin.tokens in the config or DISTRIBUTARY_ADMIN_TOKENS="viewer:<token>,operator:<token>"',
    );
  return {
    config,
    tokens,
    runtime: options.runtime ?? {},
    dashboardDir: options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir,
    sampleIntervalMs: options.sampleIntervalMs ?? 1000,
    tokenFailures: options.tokenFailures ?? TOKEN_FAILURES,
    dlqPickupMs: options.dlqPickupMs ?? 15_000,
  };
}

export function defaultDashboardDir(): string {
  // apps/admin/src -> apps/dashboard/dist
  return resolve(__dirname, '..', '..', 'dashboard', 'dist');
}
