import { randomBytes } from 'node:crypto';
import type { Row } from '@distributary/core';
import type { LogKeys, RedisClient } from '@distributary/changelog';
import {
  computeProgress,
  type IncrementalSnapshotRequest,
  type SnapshotRecord,
  type SnapshotStatus,
  type SnapshotStore,
} from '@distributary/pg-snapshot';
import { HashRecord } from './hash-record';

/** Incremental snapshots persisted in the log Redis: request, status and progress survive restarts. */
export class SnapshotRequests implements SnapshotStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: LogKeys,
  ) {}

  private record(id: string): HashRecord {
    return new HashRecord(this.redis, this.keys.snapshot(id));
  }

  async create(request: IncrementalSnapshotRequest): Promise<SnapshotRecord> {
    const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const createdAt = Date.now();
    await this.record(id).write({
      id,
      table: request.table,
      ...(request.where ? { where: request.where } : {}),
      ...(request.keys ? { keys: JSON.stringify(request.keys) } : {}),
      chunkSize: request.chunkSize ?? 1000,
      reason: request.reason ?? 'manual',
      status: 'queued',
      chunks: 0,
      rowsDone: 0,
      dropped: 0,
      estimatedTotal: 0,
      createdAt,
    });
    await this.redis.zadd(this.keys.snapshots(), createdAt, id);
    return (await this.get(id)) as SnapshotRecord;
  }

  async get(id: string): Promise<SnapshotRecord | null> {
    const raw = await this.record(id).read();
    if (!raw.id) return null;
    const rowsDone = Number(raw.rowsDone ?? 0);
    const estimatedTotal = Number(raw.estimatedTotal ?? 0);
    const startedAt = raw.startedAt ? Number(raw.startedAt) : undefined;
    return {
      id: raw.id,
      table: raw.table,
      where: raw.where || undefined,
      keys: raw.keys ? (JSON.parse(raw.keys) as Row[]) : undefined,
      chunkSize: Number(raw.chunkSize ?? 1000),
      reason: raw.reason,
      status: raw.status as SnapshotStatus,
      chunks: Number(raw.chunks ?? 0),
      rowsDone,
      dropped: Number(raw.dropped ?? 0),
      estimatedTotal,
      after: raw.after || undefined,
      createdAt: Number(raw.createdAt),
      startedAt,
      finishedAt: raw.finishedAt ? Number(raw.finishedAt) : undefined,
      error: raw.error || undefined,
      progress:
        raw.status === 'done'
          ? { rowsDone, estimatedTotal: rowsDone, rowsPerSecond: 0, etaSeconds: 0 }
          : computeProgress(rowsDone, estimatedTotal, startedAt ?? Date.now()),
    };
  }

  async list(limit = 50): Promise<SnapshotRecord[]> {
    const ids = await this.redis.zrevrange(this.keys.snapshots(), 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is SnapshotRecord => r !== null);
  }

  async update(id: string, fields: Record<string, string | number>): Promise<void> {
    await this.record(id).write(fields);
  }

  /** Marks a snapshot paused / cancelled / queued again; the runner checks between chunks. */
  async setStatus(id: string, status: SnapshotStatus): Promise<SnapshotRecord> {
    const current = await this.get(id);
    if (!current) throw new Error(`no snapshot ${id}`);
    const allowed: Record<SnapshotStatus, SnapshotStatus[]> = {
      paused: ['queued', 'running'],
      cancelled: ['queued', 'running', 'paused', 'failed'],
      queued: ['paused', 'failed'],
      running: ['queued'],
      done: ['running'],
      failed: ['running', 'queued'],
    };
    if (!allowed[status].includes(current.status))
      throw new Error(`snapshot ${id} is ${current.status}; it cannot become ${status}`);
    await this.update(id, { status });
    return (await this.get(id)) as SnapshotRecord;
  }
}
