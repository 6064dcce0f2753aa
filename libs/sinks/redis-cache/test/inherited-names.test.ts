import { describe, expect, it } from 'vitest';
import { KeyTemplate } from '../src/plan/key-template';

/** Columns named like Object.prototype members are columns: absent means absent, never an inherited function. */
describe('redis cache: column names like constructor, toString', () => {
  it('a key template over them renders only from a row that has them', () => {
    const template = new KeyTemplate('k:{constructor}:{toString}');
    expect(template.canRender({ id: 1 })).toBe(false);
    expect(() => template.render({ id: 1 })).toThrow(/needs column "constructor", absent from the row/);
    expect(template.render({ constructor: 'a', toString: 'b' })).toBe('k:a:b');
  });
});
