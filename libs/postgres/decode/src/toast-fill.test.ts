import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '@distributary/core';
import type { DecodedChange } from './change-decoder';
import { UnfillableToastError, fillUnchangedToast } from './toast-fill';

const event: ChangeEvent = {
  pos: { lsn: 10n, seq: 0 },
  op: 'u',
  table: 'public.people',
  key: { id: 1 },
  after: { id: 1, name: 'new' },
};
const relation = { columns: [{ name: 'id' }, { name: 'bio' }, { name: 'name' }] };
const change = { event, unchanged: ['bio'], relation } as unknown as DecodedChange;

describe('unchanged TOAST fill order', () => {
  it('falls back to an exhaustive log scan when the bounded scan, the old tuple and the re-read have nothing', async () => {
    const filled = await fillUnchangedToast(change, {
      latestLogged: async () => undefined,
      reread: async () => undefined,
      latestLoggedExhaustive: async () => ({ id: 1, name: 'old', bio: 'long text' }),
    });
    expect(filled?.after).toEqual({ id: 1, name: 'new', bio: 'long text' });
    expect(Object.keys(filled?.after ?? {})).toEqual(['id', 'bio', 'name']); // the table's column order, kept
    expect(filled?.filled).toEqual(['bio:log']);
  });

  it('skips a superseded change (null) when the whole log, the old tuple and the source have nothing: the row is gone', async () => {
    const filled = await fillUnchangedToast(change, {
      latestLogged: async () => undefined,
      reread: async () => undefined,
      latestLoggedExhaustive: async () => undefined,
    });
    expect(filled).toBeNull();
  });

  it('refuses with a named error, never a null value, when nobody has it and the log was not searched whole', async () => {
    await expect(
      fillUnchangedToast(change, { latestLogged: async () => undefined, reread: async () => undefined }),
    ).rejects.toBeInstanceOf(UnfillableToastError);
  });
});

describe('unchanged TOAST columns named like Object.prototype members', () => {
  it('a source row without the column is no source of it (toString, constructor are not inherited values)', async () => {
    const odd = {
      event: { ...event, after: { id: 1 } },
      unchanged: ['toString', 'constructor'],
      relation: { columns: [{ name: 'id' }, { name: 'toString' }, { name: 'constructor' }] },
    } as unknown as DecodedChange;
    const filled = await fillUnchangedToast(odd, {
      latestLogged: async () => ({ id: 1 }), // an older logged row that lacks both columns
      reread: async () => ({ id: 1, toString: 'long text', constructor: 'more text' }),
      latestLoggedExhaustive: async () => undefined,
    });
    expect(filled?.after).toEqual({ id: 1, toString: 'long text', constructor: 'more text' });
    expect(filled?.filled).toEqual(['toString:reread', 'constructor:reread']);
  });
});
