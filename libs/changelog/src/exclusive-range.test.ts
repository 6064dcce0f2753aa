import { describe, expect, it } from 'vitest';
import { nothingAfterStreamId, nothingBeforeStreamId } from './exclusive-range';

describe('exclusive stream ID bounds', () => {
  it('knows the ends of the ID space, with leading zeros as Redis reads them', () => {
    expect(nothingBeforeStreamId('0-0')).toBe(true);
    expect(nothingBeforeStreamId('00-000')).toBe(true);
    expect(nothingBeforeStreamId('0-1')).toBe(false);
    expect(nothingAfterStreamId('18446744073709551615-18446744073709551615')).toBe(true);
    expect(nothingAfterStreamId('018446744073709551615-18446744073709551615')).toBe(true);
    expect(nothingAfterStreamId('18446744073709551615-18446744073709551614')).toBe(false);
  });
});
