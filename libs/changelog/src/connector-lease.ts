import type { LogKeys } from './keys';
import { luaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

/**
 * THE FENCING RULE for the connector: one active connector per slot. A leader holds a Redis lease
 * (TTL ~5 s, renewed every ~1.5 s) and a fencing token INCR'd on every acquisition; a renewal that
 * fails — lease expired or token changed — means another instance may lead: stop streaming at once.
 * PostgreSQL adds a second fence: a slot streams to one walsender at a time.
 */
const ACQUIRE = luaScript('connector-lease-acquire');
const RENEW = luaScript('connector-lease-renew');
const RELEASE = luaScript('connector-lease-release');

export interface ConnectorLeaseOptions {
  ttlMs: number;
}

export class ConnectorLease {
  private token = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LogKeys,
    readonly ownerId: string,
    private readonly options: ConnectorLeaseOptions,
  ) {}

  get fencingToken(): number {
    return this.token;
  }

  /** The fencing token when this instance now holds the lease, else null. */
  async tryAcquire(): Promise<number | null> {
    const token = Number(
      await ACQUIRE.run(
        this.redis,
        [this.keys.connectorLease(), this.keys.connectorToken()],
        [this.ownerId, this.options.ttlMs],
      ),
    );
    if (token > 0) {
      this.token = token;
      return token;
    }
    return null;
  }

  async renew(): Promise<boolean> {
    if (this.token === 0) return false;
    const renewed = Number(
      await RENEW.run(
        this.redis,
        [this.keys.connectorLease(), this.keys.connectorToken()],
        [this.ownerId, this.options.ttlMs, this.token],
      ),
    );
    return renewed === 1;
  }

  async release(): Promise<void> {
    this.token = 0;
    await RELEASE.run(this.redis, [this.keys.connectorLease()], [this.ownerId]);
  }

  async holder(): Promise<string | null> {
    return this.redis.get(this.keys.connectorLease());
  }
}
