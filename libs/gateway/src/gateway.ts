/**
 * The gateway role: an HTTP server of its own (not the admin API) that streams live subscriptions
 * as Server-Sent Events. `GET /v1/subscriptions/<name>?<params>` with a valet-key token and
 * optionally `Last-Event-ID`, checked by subscription-request.ts (400, 401, 403); 404 unknown
 * subscription. `/health/live`, `/health/ready` (the log tail runs).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import type { GatewayConfig, SubscriptionConfig } from '@distributary/config';
import { ChangeLog, LogKeys, type RedisClient } from '@distributary/changelog';
import { exactJson, instanceId } from '@distributary/core';
import { createRawTextPool, TypeResolver } from '@distributary/pg-catalog';
import { describeSnapshotTable } from '@distributary/pg-snapshot';
import { FanOut } from './fan-out';
import { gatewayMetrics } from './gateway-metrics';
import {
  deliveryStats,
  newGatewayStatus,
  removeGatewayStatus,
  STATUS_EVERY_MS,
  writeGatewayStatus,
} from './gateway-status';
import { LogTail } from './log-tail';
import { LsnWatch } from './lsn-watch';
import { rowComparator } from './row-order';
import { SseStream } from './sse-stream';
import { Subscriber } from './subscriber';
import { CompiledSubscription } from './subscription-filter';
import { admit, type AdmittedRequest } from './subscription-request';

export interface GatewayOptions {
  gateway: GatewayConfig;
  subscriptions: SubscriptionConfig[];
  /** The log's Redis; the gateway duplicates it for its blocking reads and never closes it. */
  redis: RedisClient;
  namespace: string;
  partitions: number;
  /** The source PostgreSQL URL (initial states are read there, read-only). */
  sourceUrl: string;
  /** Overrides gateway.port (0 = any free port, for tests). */
  port?: number;
  /** The connector's replication slot (`?after=` watches its confirmed LSN); default: from the connector's status. */
  slot?: string;
  /** K, the rows a top-N window holds beyond its N (default max(N, 100); small values make refills frequent, for tests). */
  topNSpare?: number;
}

const PREFIX = '/v1/subscriptions/';

export class Gateway {
  private readonly fanOut = new FanOut();
  private readonly tail: LogTail;
  private readonly pool: Pool;
  private readonly types: TypeResolver;
  private readonly subscriptions = new Map<string, CompiledSubscription>();
  private readonly keys: LogKeys;
  /** The change log on the shared connection (the tail reads on connections of its own). */
  private readonly log: ChangeLog;
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lsnWatch: LsnWatch;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly instanceId = instanceId();
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: GatewayOptions) {
    this.keys = new LogKeys(options.namespace);
    this.log = new ChangeLog(options.redis, this.keys, options.partitions);
    for (const config of options.subscriptions) this.subscriptions.set(config.name, new CompiledSubscription(config));
    this.tail = new LogTail(
      this.log,
      (group) => this.fanOut.dispatch(group),
      (lsn) =>
        this.lsnWatch.passed(
          lsn,
          () => false,
          () => this.tail.readPositions(),
        ),
    );
    this.pool = createRawTextPool(options.sourceUrl, { max: 4, application_name: 'distributary-gateway' });
    this.types = new TypeResolver(this.pool);
    this.lsnWatch = new LsnWatch(this.pool, this.log, () => this.tail.readVector(), options.slot);
  }

  get subscriberCount(): number {
    return this.fanOut.subscriberCount;
  }

  /** Starts the tail and listens; resolves with the port. */
  async start(): Promise<number> {
    await this.checkOrders();
    await this.tail.start();
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) reply(res, 500, { error: 'internal error' });
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? this.options.gateway.port, this.options.gateway.host, () => resolve());
    });
    let publishedAt = Date.now();
    deliveryStats.take();
    this.statusTimer = setInterval(() => {
      const now = Date.now();
      const status = newGatewayStatus(this.subscriberCount, now - publishedAt, this.startedAt, this.instanceId);
      publishedAt = now;
      void writeGatewayStatus(this.options.redis, this.keys, status).catch(() => undefined);
    }, STATUS_EVERY_MS);
    this.statusTimer.unref();
    return (server.address() as AddressInfo).port;
  }

  /** Top-N subscriptions: their `order` columns (and the key, which breaks ties) exist and can be ordered. */
  private async checkOrders(): Promise<void> {
    for (const subscription of this.subscriptions.values()) {
      if (!subscription.windowed) continue;
      const meta = await describeSnapshotTable(this.pool, subscription.table);
      rowComparator(subscription.table, subscription.order, meta.keyColumns, meta.columns);
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.lsnWatch.stop();
    clearInterval(this.statusTimer);
    await removeGatewayStatus(this.options.redis, this.keys, this.instanceId).catch(() => undefined);
    await this.tail.stop();
    await this.pool.end();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/health/live') return reply(res, 200, { status: 'ok' });
    if (url.pathname === '/health/ready')
      return reply(res, this.tail.ready ? 200 : 503, { status: this.tail.ready ? 'ok' : 'starting' });
    if (!url.pathname.startsWith(PREFIX)) return reply(res, 404, { error: 'not found' });
    if (req.method === 'OPTIONS') {
      // CORS preflight of a fetch-based client sending Authorization / Last-Event-ID (tokens, no cookies).
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET',
        'access-control-allow-headers': 'authorization, last-event-id',
        'access-control-max-age': '600',
      });
      return void res.end();
    }
    if (req.method !== 'GET') return reply(res, 405, { error: 'method not allowed' });
    const subscription = this.subscriptions.get(url.pathname.slice(PREFIX.length));
    if (!subscription) return reply(res, 404, { error: 'unknown subscription' });
    const request = await admit(req, url, subscription, this.options.gateway.keys, this.options.partitions);
    if ('error' in request) return reply(res, request.status, { error: request.error });
    this.stream(res, subscription, request);
  }

  private stream(res: ServerResponse, subscription: CompiledSubscription, request: AdmittedRequest): void {
    const { params, expiresAt, resumeAt, after } = request;
    const stream = new SseStream(res);
    stream.open();
    const subscriber = new Subscriber(
      subscription.bind(params),
      stream,
      {
        log: this.log,
        pool: this.pool,
        types: this.types,
        maxBufferBytes: this.options.gateway.maxBufferBytes,
        afterTimeoutMs: this.options.gateway.afterTimeout,
        readVector: () => this.tail.readVector(),
        passed: (lsn, abandoned) => this.lsnWatch.passed(lsn, abandoned),
        place: (s) => this.fanOut.place(s),
        hold: (s, key, held) => this.fanOut.hold(s, key, held),
        topNSpare: this.options.topNSpare,
      },
      after,
    );
    const expiry = this.timer(Math.max(0, expiresAt * 1000 - Date.now()), () => stream.end('expired', '{}'));
    const heartbeat = setInterval(() => stream.comment('ping'), this.options.gateway.heartbeat);
    const labels = { subscription: subscription.name };
    gatewayMetrics.subscribers.inc(labels);
    stream.onClose(() => {
      gatewayMetrics.subscribers.dec(labels);
      if (stream.endedWith) gatewayMetrics.closed.inc({ ...labels, reason: stream.endedWith });
      if (stream.endedWith === 'lagging') deliveryStats.drops++;
      clearTimeout(expiry);
      this.timers.delete(expiry);
      clearInterval(heartbeat);
    });
    void (resumeAt ? subscriber.startResume(resumeAt) : subscriber.startFresh());
  }

  private timer(ms: number, fire: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fire();
    }, ms);
    this.timers.add(timer);
    return timer;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
  res.end(exactJson(body));
}
