/**
 * The IPC messages between `distributary run` (the supervisor, role-group.ts) and the process of each
 * role (role-host.ts). Sent with `serialization: 'advanced'` (structured clone), so the parsed
 * configuration crosses as it is.
 */
import type { DistributaryConfig } from '@distributary/config';
import type { HealthReport } from '@distributary/observability';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { RoleName } from '../roles/role';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What one process tells about itself: its metrics registry as JSON and its readiness checks. */
export interface Telemetry {
  role: string;
  pid: number;
  metrics: MetricsJson;
  health: HealthReport['checks'];
}

export type ToRole =
  /** Load the role's modules now (while the supervisor runs its preflight); `start` follows. */
  | { type: 'preload'; role: RoleName }
  /** `secrets`: every secret the supervisor registered for redaction (interpolated ones included). */
  | { type: 'start'; role: RoleName; config: DistributaryConfig; secrets: string[] }
  | { type: 'stop' }
  | { type: 'collect'; id: number }
  | { type: 'peers'; id: number; peers: Telemetry[] };

export type FromRole =
  | { type: 'started' }
  | { type: 'start-failed'; message: string }
  /** The role ended while not asked to stop (or stopped on a signal sent to this process). */
  | { type: 'ended'; message?: string; signal?: NodeJS.Signals }
  | { type: 'collected'; id: number; telemetry: Telemetry }
  /** The admin role asks for the telemetry of the other roles (its /metrics and /health/ready). */
  | { type: 'ask-peers'; id: number };
