import { describe, expect, it } from 'vitest';
import { retryLogLevel } from './retry-log';

describe('retryLogLevel', () => {
  it('logs the first retries at info and warns once a retry keeps failing', () => {
    expect(retryLogLevel(1)).toBe('info');
    expect(retryLogLevel(2)).toBe('info');
    expect(retryLogLevel(3)).toBe('warn');
    expect(retryLogLevel(1, 0, 29_999)).toBe('info');
    expect(retryLogLevel(1, 0, 30_000)).toBe('warn');
  });
});
