import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandbyFixture } from '../test/standby-fixture';

/**
 * Logged means visible: a transaction whose commit record is in the WAL (decoded) but whose backend
 * has not yet become visible to new snapshots — here it waits for a synchronous standby that never
 * answers — must not be in the log yet. Whoever reads it from the log and then reads the source (a
 * joined document, a lookup, a gateway's initial state) must find it there. The connector's role here
 * cannot see other backends in pg_stat_activity: the rule must not depend on that privilege.
 */
let fixture: StandbyFixture;

beforeAll(async () => {
  fixture = await StandbyFixture.start('visgate', { blindRole: true });
}, 120_000);

afterAll(async () => {
  await fixture?.stop();
});

describe('the log holds a decoded commit back until new snapshots see it', () => {
  it('whenever the log has the change, a fresh read of the source has it too', async () => {
    const { committed } = await fixture.heldUpdate(7);
    const admin = await fixture.connect();
    const releaseAt = Date.now() + 2000;
    let released = false;
    let checks = 0;
    for (;;) {
      if (!released && Date.now() >= releaseAt) {
        await fixture.standby.release();
        released = true;
      }
      const logged = await fixture.loggedValue(7);
      if (logged === 'new') {
        // read AFTER seeing it in the log, as any downstream reader would
        expect((await admin.query('SELECT v FROM items WHERE id = 7')).rows).toEqual([{ v: 'new' }]);
        break;
      }
      expect(logged).toBeUndefined(); // id 7 was never streamed before: nothing in the log yet
      checks++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (released && Date.now() > releaseAt + 30_000) throw new Error('the update never reached the log');
    }
    expect(released).toBe(true);
    expect(checks).toBeGreaterThan(0);
    await committed;
  }, 120_000);
});
