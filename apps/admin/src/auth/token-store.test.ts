import { describe, expect, it } from 'vitest';
import { parseTokenList, TokenStore } from './token-store';

describe('admin tokens', () => {
  it('grants the role of the matching token and nothing for others', () => {
    const store = new TokenStore([
      { token: 'viewer-token-1', role: 'viewer' },
      { token: 'operator-token-1', role: 'operator' },
    ]);
    expect(store.roleOf('viewer-token-1')).toBe('viewer');
    expect(store.roleOf('operator-token-1')).toBe('operator');
    expect(store.roleOf('operator-token-')).toBeUndefined();
    expect(store.roleOf('')).toBeUndefined();
    expect(store.roleOf(undefined)).toBeUndefined();
  });

  it('parses DISTRIBUTARY_ADMIN_TOKENS and never quotes a token in its errors', () => {
    expect(parseTokenList('viewer:tok1-long, operator:tok2-long')).toEqual([
      { role: 'viewer', token: 'tok1-long' },
      { role: 'operator', token: 'tok2-long' },
    ]);
    expect(parseTokenList(undefined)).toEqual([]);
    expect(() => parseTokenList('admin:supersecret1')).toThrow(/DISTRIBUTARY_ADMIN_TOKENS\[0\]: expected/);
    expect(() => parseTokenList('viewer:short')).toThrow(/at least 8 characters/);
    let message = '';
    try {
      parseTokenList('root:supersecret1');
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/expected "viewer:<token>"/);
    expect(message).not.toContain('supersecret1');
  });
});
