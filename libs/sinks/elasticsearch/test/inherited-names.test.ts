import { describe, expect, it } from 'vitest';
import { compileIdTemplate } from '../src/document/id-template';
import { tupleKey } from '../src/plan/row-match';

/** Columns named like Object.prototype members are columns: absent means absent, never an inherited function. */
describe('elasticsearch sink: column names like constructor, toString', () => {
  it('an id template over them renders only from a row that has them', () => {
    const id = compileIdTemplate('{constructor}-{toString}');
    expect(id.canRender({ id: 1 })).toBe(false);
    expect(() => id.render({ id: 1 })).toThrow(/column constructor is missing or null/);
    expect(id.render({ constructor: 'a', toString: 'b' })).toBe('a-b');
  });

  it('a join tuple over them is undefined when the row lacks them', () => {
    expect(tupleKey({ id: 1 }, ['valueOf'])).toBeUndefined();
    expect(tupleKey({ valueOf: 5 }, ['valueOf'])).toBe('["5"]');
  });
});
