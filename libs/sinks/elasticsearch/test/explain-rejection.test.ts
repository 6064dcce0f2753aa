import { describe, expect, it } from 'vitest';
import { explainRejection } from '../src/write/explain-rejection';

describe('a mapping refusal is explained in the dead letter', () => {
  it('names the column, the value and a mapping that holds it (jsonb number beyond 64 bits)', () => {
    const error =
      "400 document_parsing_exception: [1:20] failed to parse field [j.big] of type [long] in document with id '1'. " +
      "Preview of field's value: '12345678901234567890'";
    const explained = explainRejection(error);
    expect(explained).toContain('column "j"');
    expect(explained).toContain('value 12345678901234567890');
    expect(explained).toContain('flattened');
    expect(explained).toContain('docs/types.md');
    expect(explained).toContain(error);
  });

  it('explains a float NaN refused by a double field and a timestamp infinity refused by a date field', () => {
    expect(
      explainRejection(
        "400 document_parsing_exception: [1:9] failed to parse field [d] of type [double] in document with id '2'. Preview of field's value: 'NaN'",
      ),
    ).toMatch(/NaN, Infinity/);
    expect(
      explainRejection(
        "400 document_parsing_exception: [1:9] failed to parse field [ts] of type [date] in document with id '2'. Preview of field's value: 'infinity'",
      ),
    ).toMatch(/'infinity', '-infinity'/);
  });

  it('explains the same conflict when two requests mapped the new field at once (one as an object, one not)', () => {
    const error = "400 illegal_argument_exception: can't merge a non object mapping [j_json] with an object mapping";
    const explained = explainRejection(error);
    expect(explained).toMatch(
      /^Elasticsearch's mapping \[object\] of field "j_json" cannot hold this legal value of column "j_json"/,
    );
    expect(explained).toContain('flattened');
    expect(explained).toContain(error);
  });

  it('explains a json column mapped as an object (from an earlier row) given a scalar', () => {
    const error =
      '400 document_parsing_exception: [1:301] object mapping for [j_json] tried to parse field [j_json] as object, but found a concrete value';
    const explained = explainRejection(error);
    expect(explained).toMatch(
      /^Elasticsearch's mapping \[object\] of field "j_json" cannot hold this legal value of column "j_json"/,
    );
    expect(explained).toContain('flattened');
    expect(explained).toContain(error);
  });

  it('explains a column named like a metadata field (every row is refused)', () => {
    const explained = explainRejection(
      "400 document_parsing_exception: [1:16] failed to parse field [_id] of type [_id] in document with id '1'. " +
        "Preview of field's value: 'x'",
    );
    expect(explained).toMatch(/^Column "_id" has the name of Elasticsearch's metadata field _id/);
    expect(explained).toContain('document mapping');
  });

  it('explains columns whose dotted names collide (a and a.b)', () => {
    expect(
      explainRejection(
        '400 illegal_argument_exception: mapper [a] cannot be changed from type [text] to [ObjectMapper]',
      ),
    ).toMatch(/^Column "a" and a column named "a\.…" collide/);
  });

  it('explains a column named with whitespace only', () => {
    expect(
      explainRejection('400 document_parsing_exception: [1:9] Field name cannot contain only whitespace: [  ]'),
    ).toMatch(/^Column " {2}" has a name of only whitespace/);
  });

  it('leaves other errors as they are', () => {
    expect(explainRejection('400 illegal_argument_exception: something else')).toBe(
      '400 illegal_argument_exception: something else',
    );
  });
});
