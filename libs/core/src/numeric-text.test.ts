import { describe, expect, it } from 'vitest';
import { isNumericText } from '@distributary/core';

describe('isNumericText', () => {
  it('agrees with the decimal grammar', () => {
    for (const yes of ['0', '-12', '+3', '3.', '.5', '1.5e-7', '2E+10', '007']) expect(isNumericText(yes)).toBe(true);
    for (const no of ['', '-', '.', 'e5', '1e', '1e+', '1.2.3', ' 1', '1 ', 'NaN', 'Infinity', '0x1f', '1_000'])
      expect(isNumericText(no)).toBe(false);
  });

  it('is linear on 10 MB of digits followed by a letter', () => {
    expect(isNumericText(`${'1'.repeat(10 * 1024 * 1024)}x`)).toBe(false);
    expect(isNumericText('9'.repeat(10 * 1024 * 1024))).toBe(true);
  });
});
