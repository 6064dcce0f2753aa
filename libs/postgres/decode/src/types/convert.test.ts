import { describe, expect, it } from 'vitest';
import { JsonText } from '@distributary/core';
import { parseArrayLiteral } from './array-literal';
import { byteaToBase64, convertValue } from './convert';
import { isoDate, isoTimestamp, isoTimestampTz } from './iso-time';

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
    expect(convertValue('9223372036854775807', { scalar: 'exact' })).toBe('9223372036854775807');
    expect(convertValue('-Infinity', { scalar: 'exact' })).toBe('-Infinity');
    expect(convertValue('-0', { scalar: 'exact' })).toBe('-0');
    expect(convertValue('1e-300', { scalar: 'exact' })).toBe('1e-300');
    expect(convertValue('{"big": 12345678901234567890}', { scalar: 'json' })).toEqual(
      new JsonText('{"big": 12345678901234567890}'),
    );
    expect(convertValue('null', { scalar: 'json' })).toEqual(new JsonText('null'));
    expect(convertValue('{"[1]","null",NULL}', { array: { scalar: 'json' }, delimiter: ',' })).toEqual([
      new JsonText('[1]'),
      new JsonText('null'),
      null,
    ]);
    expect(convertValue('f', { scalar: 'bool' })).toBe(false);
    expect(convertValue(null, { scalar: 'int' })).toBeNull();
    expect(convertValue('{1,NULL}', { array: { scalar: 'int' }, delimiter: ',' })).toEqual([1, null]);
    expect(byteaToBase64('\\x')).toBe('');
    expect(byteaToBase64('a\\\\b\\001')).toBe(Buffer.from([0x61, 0x5c, 0x62, 1]).toString('base64'));
  });

  it.each([
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05'],
    ['infinity', 'infinity'],
    ['-infinity', '-infinity'],
    ['0044-03-15 12:00:00 BC', '-0043-03-15T12:00:00'],
    ['0001-01-01 00:00:00 BC', '0000-01-01T00:00:00'],
    ['10000-01-01 00:00:00', '+10000-01-01T00:00:00'],
  ])('timestamp %s → %s', (text, expected) => {
    expect(isoTimestamp(text)).toBe(expected);
  });

  it.each([
    ['2024-01-02 03:04:05.000001+00', '2024-01-02T03:04:05.000001Z'],
    ['2024-01-02 03:04:05-03:30', '2024-01-02T06:34:05Z'],
    ['2024-01-01 00:30:00.5+02', '2023-12-31T22:30:00.5Z'],
    ['0001-01-01 00:00:00+00 BC', '0000-01-01T00:00:00Z'],
    ['0001-01-01 00:30:00+01 BC', '-0001-12-31T23:30:00Z'],
    ['1850-06-01 12:00:00+00:53:28', '1850-06-01T11:06:32Z'],
    ['infinity', 'infinity'],
  ])('timestamptz %s → %s', (text, expected) => {
    expect(isoTimestampTz(text)).toBe(expected);
  });

  it.each([
    ['2024-01-02', '2024-01-02'],
    ['0044-03-15 BC', '-0043-03-15'],
    ['-infinity', '-infinity'],
  ])('date %s → %s', (text, expected) => {
    expect(isoDate(text)).toBe(expected);
  });
});
