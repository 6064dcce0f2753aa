import type { ArgumentsHost } from '@nestjs/common';
import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { ErrorsFilter } from './errors.filter';

/** A response sink that records what the filter writes (a real ServerResponse needs a socket). */
function answer(exception: unknown): { status: number; body: Record<string, unknown> } {
  const response = {
    statusCode: 0,
    headersSent: false,
    body: '',
    setHeader: () => undefined,
    end(text?: string) {
      this.body = text ?? '';
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new ErrorsFilter().catch(exception, host);
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}

describe('admin errors never leak internals', () => {
  it('an unexpected error is a 500 with a reference, without its message', () => {
    const result = answer(new TypeError("Cannot read properties of undefined (reading '0') at postgres://u:pw@db"));
    expect(result.status).toBe(500);
    expect(result.body.message).toMatch(/^internal error; see the admin log, ref [0-9a-f]{8}$/);
    expect(JSON.stringify(result.body)).not.toMatch(/pw@db|reading/);
  });

  it('an unreachable dependency is a 503 without host names or driver text', () => {
    const result = answer(new Error('connect ECONNREFUSED 10.1.2.3:5432'));
    expect(result.status).toBe(503);
    expect(JSON.stringify(result.body)).not.toContain('10.1.2.3');
    expect(result.body.message).toMatch(/^a dependency is unavailable/);
  });

  it('a Redis reply error is not passed through', () => {
    const redisError = Object.assign(new Error('ERR Invalid stream ID specified as stream command argument'), {
      name: 'ReplyError',
    });
    expect(JSON.stringify(answer(redisError).body)).not.toMatch(/stream ID/);
  });

  it('body-parser errors map to 413 / 400 / 415; our own 4xx pass as thrown', () => {
    expect(answer(Object.assign(new Error('x'), { type: 'entity.too.large', status: 413 })).status).toBe(413);
    expect(answer(Object.assign(new Error('x'), { type: 'charset.unsupported', status: 415 })).status).toBe(415);
    expect(answer(new BadRequestException('limit must be an integer'))).toMatchObject({
      status: 400,
      body: { message: 'limit must be an integer' },
    });
  });
});
