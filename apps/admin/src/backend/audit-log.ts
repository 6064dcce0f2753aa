import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { connectRedis, LogKeys, nothingBeforeStreamId, type RedisClient } from '@distributary/changelog';
import type { AuditEntry, AuditPage } from '@distributary/admin-contract';
import { createLogger } from '@distributary/observability';
import { ADMIN_SETTINGS, type AdminSettings } from '../admin-settings';

const BODY_SUMMARY = 500;

export function auditKey(namespace: string): string {
  return new LogKeys(namespace).auditLog();
}

/**
 * The audit log: every state-changing request that presented a valid token (who = the token's name
 * and role, what = method, path and a bounded summary of the body, when, outcome = status code),
 * appended to a capped stream in the log Redis (`{<namespace>:audit}:log`, approximately
 * admin.audit.maxEntries kept). Read-only through the API; a failed write is logged, never fails the
 * action it records.
 */
@Injectable()
export class AuditLog implements OnModuleDestroy {
  private readonly logger = createLogger('admin');
  private readonly redis: RedisClient | undefined;
  private readonly key: string;
  private readonly maxEntries: number;

  constructor(@Inject(ADMIN_SETTINGS) settings: AdminSettings) {
    const audit = settings.config.admin?.audit;
    this.key = auditKey(settings.config.log.namespace);
    this.maxEntries = audit?.maxEntries ?? 10_000;
    if (audit?.enabled === false) return;
    this.redis = connectRedis(settings.config.log.redis, { maxRetriesPerRequest: 2 });
    this.redis.on('error', (error: Error) => this.logger.debug({ err: error }, 'audit redis connection error'));
  }

  get enabled(): boolean {
    return this.redis !== undefined;
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  async record(entry: Omit<AuditEntry, 'id' | 'at' | 'body'> & { body?: unknown }): Promise<void> {
    if (!this.redis) return;
    const body = summarize(entry.body);
    try {
      await this.redis.xadd(
        this.key,
        'MAXLEN',
        '~',
        this.maxEntries,
        '*',
        'at',
        String(Date.now()),
        'who',
        entry.who,
        'role',
        entry.role,
        'method',
        entry.method,
        'path',
        entry.path.slice(0, 300),
        'status',
        String(entry.status),
        'client',
        entry.client.slice(0, 64),
        ...(body === null ? [] : ['body', body]),
      );
    } catch (error) {
      this.logger.warn({ err: error, audit: { ...entry, body } }, 'could not write the audit log');
    }
  }

  /** Newest first; `before` is the id of the last entry seen. */
  async list(options: { before?: string; limit: number }): Promise<AuditPage> {
    if (!this.redis) return { enabled: false, entries: [], next: null };
    if (options.before && nothingBeforeStreamId(options.before)) return { enabled: true, entries: [], next: null };
    const end = options.before ? `(${options.before}` : '+';
    const rows = (await this.redis.xrevrange(this.key, end, '-', 'COUNT', options.limit + 1)) as [string, string[]][];
    const page = rows.slice(0, options.limit);
    return {
      enabled: true,
      entries: page.map(([id, flat]) => toEntry(id, flat)),
      next: rows.length > options.limit ? page[page.length - 1][0] : null,
    };
  }
}

function summarize(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'object' && Object.keys(body).length === 0) return null;
  const text = JSON.stringify(body) ?? '';
  return text.length > BODY_SUMMARY ? `${text.slice(0, BODY_SUMMARY)}…` : text;
}

function toEntry(id: string, flat: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]] = flat[i + 1];
  return {
    id,
    at: new Date(Number(f.at) || Number(id.split('-')[0])).toISOString(),
    who: f.who ?? '?',
    role: f.role ?? '?',
    method: f.method ?? '?',
    path: f.path ?? '?',
    status: Number(f.status) || 0,
    client: f.client ?? '',
    body: f.body ?? null,
  };
}
