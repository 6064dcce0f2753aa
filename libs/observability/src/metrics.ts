import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process; every lib registers its metrics here (prefix distributary_). */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'distributary_process_' });

function existing<T>(name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** Get-or-create helpers, so a metric declared by two instances of a class is registered once. */
export function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  return existing<Counter<string>>(name) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return existing<Gauge<string>>(name) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram(
  name: string,
  help: string,
  labelNames: string[] = [],
  buckets?: number[],
): Histogram<string> {
  return (
    existing<Histogram<string>>(name) ??
    new Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) })
  );
}
