import { describe, expect, it } from 'vitest';
import { byteaInput, convertValue, dateTimeInput, inputConversion } from './pg-input';

describe('mirror input conversions (log form → PostgreSQL input)', () => {
  it('turns astronomical years back into BC and drops the + of long years', () => {
    expect(dateTimeInput('-0043-03-15T12:00:00.5Z')).toBe('0044-03-15T12:00:00.5Z BC');
    expect(dateTimeInput('0000-01-01T00:00:00')).toBe('0001-01-01T00:00:00 BC');
    expect(dateTimeInput('-4712-01-01')).toBe('4713-01-01 BC');
    expect(dateTimeInput('+10000-01-01')).toBe('10000-01-01');
    for (const same of ['2024-02-29', 'infinity', '-infinity', '2024-01-02T01:04:05Z'])
      expect(dateTimeInput(same)).toBe(same);
  });

  it('turns base64 into hex bytea input, NUL bytes included', () => {
    expect(byteaInput('AP8Q')).toBe('\\x00ff10');
    expect(byteaInput('')).toBe('\\x');
  });

  it('applies per column type, to array elements too', () => {
    expect(inputConversion('timestamp with time zone[]')).toBe(dateTimeInput);
    expect(inputConversion('bytea')).toBe(byteaInput);
    expect(inputConversion('text')).toBeUndefined();
    expect(convertValue([['-0043-03-15', null]], dateTimeInput)).toEqual([['0044-03-15 BC', null]]);
  });
});
