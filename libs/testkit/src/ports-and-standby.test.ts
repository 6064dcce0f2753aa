import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GhostStandby } from './ghost-standby';
import { freePort } from './ports';
import { pgUrl } from './stack';

describe('freePort', () => {
  it('names a port a server can listen on at once', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((ready, fail) => server.once('error', fail).listen(port, '127.0.0.1', ready));
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((done) => server.close(done));
  });
});

describe('GhostStandby', () => {
  it("refuses the shared stack's server (holding would stall every test's commits)", () => {
    expect(() => new GhostStandby(pgUrl())).toThrow(/needs a throwaway cluster/);
  });
});
