import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadWhereParser,
  MAX_WHERE_LENGTH,
  parseSnapshotWhereSync,
  SnapshotWhereError,
  STORED_WHERE_LIMITS,
} from './where-clause';

const COLUMNS = ['id', 'name', 'price', 'updated_at', 'active', 'Mixed Case'];
const check = (where: string) => parseSnapshotWhereSync(where, COLUMNS);
const refusal = (where: string): string => {
  try {
    check(where);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotWhereError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${where}`);
};

beforeAll(() => loadWhereParser());

describe('snapshot where: one condition over the columns, rendered from the AST', () => {
  it.each([
    ["id > 5 AND name ILIKE 'a%'", "id > 5 AND name ILIKE 'a%'"],
    ["updated_at > now() - interval '1 day'", "updated_at > (pg_catalog.now() - '1 day'::interval)"],
    ['id IN (1, 2, 3) OR id BETWEEN 10 AND 20', 'id IN (1, 2, 3) OR id BETWEEN 10 AND 20'],
    ["lower(name) = 'x'", "pg_catalog.lower(name) = 'x'"],
    ['active IS TRUE AND price IS NOT NULL', 'active IS TRUE AND price IS NOT NULL'],
    ['"Mixed Case" = 1', '"Mixed Case" = 1'],
    ["updated_at >= '2024-01-01'::date", "updated_at >= '2024-01-01'::date"],
    ['NOT active', 'NOT (active)'],
    ["E'it\\'s' = name", "'it''s' = name"],
  ])('accepts %s', (where, rendered) => {
    expect(check(where)).toBe(rendered);
    // The rendering is itself accepted and stable.
    expect(check(rendered)).toBe(rendered);
  });

  it.each([
    ['id = -1; CREATE TABLE s.injected (x int); --', /";"/],
    ['id = 1; SELECT pg_sleep(10)', /";"/],
    ['id = 1 -- trailing', /comment/],
    ['id = 1 /* c */', /comment/],
    ['id IN (SELECT id FROM pg_authid)', /subquery/],
    ['EXISTS (SELECT 1)', /subquery/],
    ['pg_sleep(10) IS NULL', /function pg_sleep/],
    ['pg_catalog.pg_read_file(name) = name', /function pg_catalog.pg_read_file/],
    ["public.lower(name) = 'x'", /function public.lower/],
    ['count(*) > 1', /function count/],
    ['lower(DISTINCT name) = name', /DISTINCT/],
    ["name ~ '(a+)+$'", /operator ~/],
    ["name SIMILAR TO 'a%'", /SIMILAR TO/],
    ['id = ANY(ARRAY[1])', /ANY/],
    ['id::regclass IS NULL', /cast to regclass/],
    ['id = $1', /parameter/],
    ['id = 1 ORDER BY 1', /ORDER BY/],
    ['id = 1 FOR UPDATE', /FOR UPDATE/],
    ['id = 1 LIMIT 1', /LIMIT/],
    ['true) UNION (SELECT 1 WHERE true', /syntax|compound/],
    ['s.t.id = 1', /qualified/],
    ['missing = 1', /no column "missing"/],
    ['id + 1', /as the whole condition/],
    ['current_user = name', /keyword/],
    ['', /empty/],
    ['   ', /empty/],
    ['id =', /not a SQL condition/],
  ])('refuses %s', (where, message) => {
    expect(refusal(where)).toMatch(message);
  });

  it('refuses conditions over the length limit and nesting beyond the depth limit', () => {
    expect(refusal(`id = ${'1'.repeat(MAX_WHERE_LENGTH)}`)).toMatch(/at most/);
    expect(refusal(`${'NOT ('.repeat(60)}active${')'.repeat(60)}`)).toMatch(/nesting/);
    expect(refusal(Array.from({ length: 150 }, () => 'id=1').join(' OR '))).toMatch(/terms/);
  });

  it('a long generated condition (one term per stale group, as verify repair writes) passes the stored limits only', () => {
    const groups = Array.from({ length: 2000 }, (_, i) => `("name" = 'g''${i}' AND id IS NULL)`).join(' OR ');
    expect(() => check(groups)).toThrow(SnapshotWhereError);
    const rendered = parseSnapshotWhereSync(groups, COLUMNS, STORED_WHERE_LIMITS);
    expect(rendered.startsWith("(name = 'g''0' AND id IS NULL) OR")).toBe(true);
    expect(() => parseSnapshotWhereSync(`${groups}; DROP TABLE x`, COLUMNS, STORED_WHERE_LIMITS)).toThrow(/";"/);
  });

  it('fuzz: any text is either refused with a SnapshotWhereError or rendered to a stable accepted condition', () => {
    const piece = fc.constantFrom(
      'id',
      'name',
      '=',
      '<',
      ' AND ',
      ' OR ',
      'NOT ',
      '(',
      ')',
      ';',
      '--',
      '/*',
      '*/',
      "'",
      '"',
      '$1',
      '1',
      '-1',
      'SELECT',
      'lower(',
      'pg_sleep(',
      ',',
      '::',
      'int',
      'text',
      'IN',
      'BETWEEN',
      'IS NULL',
      ' ',
      "E'\\'",
      '\\',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(piece, { maxLength: 40 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(text, (where) => {
        let rendered: string;
        try {
          rendered = check(where);
        } catch (error) {
          return error instanceof SnapshotWhereError;
        }
        return check(rendered) === rendered;
      }),
      { numRuns: 3000 },
    );
  });
});
