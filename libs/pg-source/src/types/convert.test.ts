import { describe, expect, it } from 'vitest';
import { byteaToBase64, convertValue, isoTimestamp, parseArrayLiteral } from '@distributary/pg-source';

describe('array literals', () => {
  it.each([
    ['{}', []],
    ['{1,2,3}', ['1', '2', '3']],
    ['{NULL,"NULL",null}', [null, 'NULL', null]],
    ['{"a b","c,d","e\\"f","g\\\\h",""}', ['a b', 'c,d', 'e"f', 'g\\h', '']],
    [
      '{{1,2},{3,NULL}}',
      [
        ['1', '2'],
        ['3', null],
      ],
    ],
    ['[0:1]={7,8}', ['7', '8']],
    ['{{}}', [[]]],
  ])('%s', (text, expected) => {
    expect(parseArrayLiteral(text)).toEqual(expected);
  });

  it('uses the type delimiter (box uses ;)', () => {
    expect(parseArrayLiteral('{(1,1),(0,0);(2,2),(1,1)}', ';')).toEqual(['(1,1),(0,0)', '(2,2),(1,1)']);
  });

  it('rejects malformed literals with the text in the message', () => {
    expect(() => parseArrayLiteral('{1,2')).toThrow(/\{1,2/);
  });
});

describe('value conversion', () => {
  it('keeps full fidelity', () => {
    expect(convertValue('9223372036854775807', { scalar: 'decimal' })).toBe('9223372036854775807');
    expect(convertValue('-Infinity', { scalar: 'float' })).toBe('-Infinity');
    expect(convertValue('1e-300', { scalar: 'float' })).toBe(1e-300);
    expect(convertValue('f', { scalar: 'bool' })).toBe(false);
    expect(convertValue(null, { scalar: 'int' })).toBeNull();
    expect(convertValue('{1,NULL}', { array: { scalar: 'int' }, delimiter: ',' })).toEqual([1, null]);
    expect(byteaToBase64('\\x')).toBe('');
    expect(byteaToBase64('a\\\\b\\001')).toBe(Buffer.from([0x61, 0x5c, 0x62, 1]).toString('base64'));
  });

  it.each([
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05'],
    ['2024-01-02 03:04:05.000001+00', '2024-01-02T03:04:05.000001+00:00'],
    ['2024-01-02 03:04:05-03:30', '2024-01-02T03:04:05-03:30'],
    ['infinity', 'infinity'],
    ['0044-03-15 12:00:00 BC', '0044-03-15 12:00:00 BC'],
  ])('timestamp %s → %s', (text, expected) => {
    expect(isoTimestamp(text)).toBe(expected);
  });
});
