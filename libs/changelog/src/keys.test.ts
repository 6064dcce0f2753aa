import { describe, expect, it } from 'vitest';
import { LogKeys } from '@distributary/changelog';

// Stored data lives under these names: a key's bytes must never change (no migration exists).
describe('LogKeys', () => {
  it('names the sink backlog and workspace keys byte for byte as the fan-out queue stored them', () => {
    const keys = new LogKeys('ns1');
    expect(keys.sinkBacklog('docs')).toBe('{ns1:fanout:docs}:dirty');
    expect(keys.sinkWorkspace('docs', 'causes')).toBe('{ns1:fanout:docs}:causes');
    expect(keys.auditLog()).toBe('{ns1:audit}:log');
  });

  it('keeps every key of a partition on one hash tag', () => {
    const keys = new LogKeys('ns1');
    expect([keys.partition(3), keys.positions(3), keys.fences(3), keys.lease(3, 's'), keys.clock(3)]).toEqual([
      '{ns1:p3}:log',
      '{ns1:p3}:positions',
      '{ns1:p3}:fences',
      '{ns1:p3}:lease:s',
      '{ns1:p3}:clock',
    ]);
  });
});
