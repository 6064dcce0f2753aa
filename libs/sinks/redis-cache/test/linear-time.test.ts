/** Row values reach the cache's text handling unbounded (TOASTed text): megabytes of adversarial
 * text must cost linear time — each case finishes well within the runner's default timeout. */
import { describe, expect, it } from 'vitest';
import { KeyTemplate } from '../src/plan/key-template';
import { scoreText } from '../src/plan/query-cache';

const MB = 1024 * 1024;
const adversarial = {
  'digits then a letter': `${'1'.repeat(10 * MB)}x`,
  'digits, a dot, digits, then e': `${'1'.repeat(5 * MB)}.${'2'.repeat(5 * MB)}e`,
  'a timestamp prefix then digits': `2024-01-02 03:04:05.${'1'.repeat(10 * MB)}x`,
  'braces and quotes': '{"}'.repeat(3 * MB),
};

describe('cache text handling is linear in row values', () => {
  for (const [name, text] of Object.entries(adversarial)) {
    it(`scores and keys from ${(text.length / MB).toFixed(0)} MB of ${name}`, () => {
      expect(() => scoreText(text, 'p')).toThrow(/not a number or timestamp/);
      expect(new KeyTemplate('k:{v}').render({ v: text })?.length).toBe(text.length + 2);
    });
  }
  it('accepts a 10 MB numeric text as a score unchanged', () => {
    const digits = '9'.repeat(10 * MB);
    expect(scoreText(digits, 'p')).toBe(digits);
  });
});
