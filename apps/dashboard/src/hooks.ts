import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from './api';
import type { MetricsSample, TailEvent } from './types';

/** Polls a GET endpoint; `refresh()` re-reads at once (after an action). */
export function usePolling<T>(path: string | null, intervalMs: number) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const pathRef = useRef(path);
  pathRef.current = path;

  const refresh = useCallback(async () => {
    const current = pathRef.current;
    if (!current) return;
    try {
      const next = await api<T>(current);
      if (pathRef.current === current) {
        setData(next);
        setError(undefined);
      }
    } catch (e) {
      if (pathRef.current === current) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    setData(undefined);
    void refresh();
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => clearInterval(timer);
  }, [path, intervalMs, refresh]);

  return { data, error, loading, refresh };
}

export const HISTORY_LIMIT = 15 * 60;

/** The last 15 minutes of live samples: the server's history, then every sample pushed over SSE. */
export function useLiveMetrics() {
  const [samples, setSamples] = useState<MetricsSample[]>([]);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    let closed = false;
    api<MetricsSample[]>('/api/metrics/history')
      .then((history) => {
        if (!closed) setSamples((live) => mergeSamples(history, live));
      })
      .catch(() => undefined);
    const source = new EventSource('/api/events/metrics');
    source.addEventListener('sample', (message) => {
      const sample = JSON.parse((message as MessageEvent<string>).data) as MetricsSample;
      setSamples((current) => mergeSamples(current, [sample]));
      setConnected(true);
    });
    source.onerror = () => setConnected(false);
    return () => {
      closed = true;
      source.close();
    };
  }, []);

  return { samples, connected };
}

function mergeSamples(a: MetricsSample[], b: MetricsSample[]): MetricsSample[] {
  const byTime = new Map<number, MetricsSample>();
  for (const s of [...a, ...b]) byTime.set(s.t, s);
  const cutoff = Date.now() - HISTORY_LIMIT * 1000;
  return [...byTime.values()]
    .filter((s) => s.t >= cutoff)
    .sort((x, y) => x.t - y.t)
    .slice(-HISTORY_LIMIT);
}

/** The sampled live tail of change events (newest first, the last 50 kept). */
export function useLiveTail(enabled: boolean) {
  const [events, setEvents] = useState<TailEvent[]>([]);
  const [rate, setRate] = useState<number | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource('/api/events/tail?sample=5');
    source.addEventListener('tail', (message) => {
      const batch = JSON.parse((message as MessageEvent<string>).data) as { seen: number; events: TailEvent[] };
      setRate(batch.seen);
      if (batch.events.length) setEvents((current) => [...[...batch.events].reverse(), ...current].slice(0, 50));
    });
    return () => source.close();
  }, [enabled]);
  return { events, rate };
}
