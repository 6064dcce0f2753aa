import { describe, expect, it } from 'vitest';
import { pgNotReadyYet } from './reachability';

const serverError = (code: string) => Object.assign(new Error('server said no'), { code, severity: 'FATAL' });

describe('preflight: which PostgreSQL failures are worth waiting for', () => {
  it('waits for a server that does not answer or says "not now"', () => {
    expect(pgNotReadyYet(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(pgNotReadyYet(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
    expect(pgNotReadyYet(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(pgNotReadyYet(serverError('57P03'))).toBe(true); // the database system is starting up
    expect(pgNotReadyYet(serverError('53300'))).toBe(true); // too many connections
    expect(pgNotReadyYet(serverError('08006'))).toBe(true);
  });

  it('refuses at once what waiting cannot fix', () => {
    expect(pgNotReadyYet(serverError('28P01'))).toBe(false); // bad password
    expect(pgNotReadyYet(serverError('3D000'))).toBe(false); // unknown database
    expect(pgNotReadyYet(serverError('42501'))).toBe(false); // no privilege
  });
});
