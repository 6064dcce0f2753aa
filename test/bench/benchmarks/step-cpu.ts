import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { cpuMicros } from '../capture/proc-stats';
import { serviceCpu, type ServiceCpu } from '../service-cpu';

/**
 * Where a timed window's CPU went on this machine: each worker process, the bench process (it runs the
 * latency proxy), the local servers, and the machine's idle share (all cores, from /proc/stat) — so a
 * figure shows whether its step was bound by the cores or by something else.
 */
export interface CpuReading {
  at: number;
  workers: number[];
  bench: number;
  servers: ServiceCpu;
  /** Machine-wide idle and total jiffies (all cores). */
  idle: number;
  total: number;
}

export interface StepCpu {
  /** Worker processes together, µs CPU per document written in the window. */
  workersPerDoc: number;
  /** The busiest worker's share of one core (%). */
  busiestWorkerPct: number;
  /** Every worker process together, in cores. */
  workersCores: number;
  elasticsearchPerDoc: number;
  redisPerDoc: number;
  /** The bench process (its 20 ms proxy relays every byte to and from Elasticsearch), µs per document. */
  benchPerDoc: number;
  /** The machine's idle share over the window (%, of all cores). */
  idlePct: number;
  cores: number;
}

export function machineJiffies(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle: values[3] + values[4], total };
}

export function readCpu(workerPids: readonly number[], redisPort: string): CpuReading {
  const { idle, total } = machineJiffies();
  const bench = process.cpuUsage();
  return {
    at: Date.now(),
    workers: workerPids.map((pid) => cpuMicros(pid) ?? 0),
    bench: bench.user + bench.system,
    servers: serviceCpu(redisPort),
    idle,
    total,
  };
}

/** The window between two readings, per document written in it. */
export function stepCpu(from: CpuReading, to: CpuReading, docs: number): StepCpu {
  const perDoc = (micros: number): number => (docs > 0 ? Math.round(micros / docs) : 0);
  const wallMicros = Math.max(1, (to.at - from.at) * 1000);
  const used = to.workers.map((cpu, i) => Math.max(0, cpu - from.workers[i]));
  const workersMicros = used.reduce((a, b) => a + b, 0);
  const jiffies = Math.max(1, to.total - from.total);
  return {
    workersPerDoc: perDoc(workersMicros),
    busiestWorkerPct: Math.round((Math.max(0, ...used) / wallMicros) * 100),
    workersCores: Math.round((workersMicros / wallMicros) * 100) / 100,
    elasticsearchPerDoc: perDoc(to.servers.elasticsearch - from.servers.elasticsearch),
    redisPerDoc: perDoc(to.servers.redis - from.servers.redis),
    benchPerDoc: perDoc(to.bench - from.bench),
    idlePct: Math.round(((to.idle - from.idle) / jiffies) * 1000) / 10,
    cores: cpus().length,
  };
}

export function describeStepCpu(cpu: StepCpu): string {
  return (
    `CPU per document: workers ${cpu.workersPerDoc} µs (${cpu.workersCores} cores together, busiest ` +
    `${cpu.busiestWorkerPct} % of a core), Elasticsearch ${cpu.elasticsearchPerDoc} and Redis ${cpu.redisPerDoc} ` +
    `(shared servers: upper bounds), ` +
    `bench + proxy ${cpu.benchPerDoc}; machine idle ${cpu.idlePct} % of ${cpu.cores} cores`
  );
}
