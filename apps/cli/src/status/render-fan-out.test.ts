import { describe, expect, it } from 'vitest';
import type { PipelineStatus, SinkStatus } from './collect-status';
import { renderStatus } from './render-status';

const lag = { entries: 0, capped: false, bytes: '0', seconds: 0 };
const sink = (name: string, extra: Partial<SinkStatus>): SinkStatus => ({
  name,
  kind: 'elasticsearch',
  paused: false,
  deadLetters: 0,
  lag,
  partitions: [],
  ...extra,
});

function status(sinks: SinkStatus[]): PipelineStatus {
  return {
    source: { url: 'postgres://h/db', slot: 's', exists: false },
    connector: {},
    log: { namespace: 'ns', partitions: [] },
    sinks,
    workers: [],
    opening: [],
    processes: [],
    jobs: [],
    snapshots: [],
  } as unknown as PipelineStatus;
}

describe('distributary status: fan-out passes of Elasticsearch sinks', () => {
  it('shows keys waiting, the running pass and roots re-indexed per sink', () => {
    const text = renderStatus(
      status([
        sink('search', {
          fanOut: {
            pending: 3,
            runningSince: '2026-11-30T15:00:01.000Z',
            running: '[["id"],[2]]',
            rootsReindexed: 12000,
          },
        }),
        sink('idle-search', { fanOut: { pending: 0, rootsReindexed: 0 } }),
        sink('cache', { kind: 'redis' }),
      ]),
    );
    expect(text).toContain('fan-out keys waiting');
    const section = text.split('fan-out keys waiting')[1].split('\n');
    const row = (name: string) => section.find((line) => line.includes(`│ ${name} `)) ?? '';
    expect(row('search')).toMatch(/search\s+│\s+3\s+│\s+2026-11-30T15:00:01.000Z\s+│\s+12000/);
    expect(row('idle-search')).toMatch(/idle-search\s+│\s+0\s+│\s+-\s+│\s+0/);
    expect(section.join('\n')).not.toContain('cache');
  });

  it('has no fan-out table without Elasticsearch sinks', () => {
    expect(renderStatus(status([sink('cache', { kind: 'redis' })]))).not.toContain('fan-out');
  });
});
