import jsonata from 'jsonata';
import { EventRejectedError, parsedForExpressions, type Row } from '@distributary/core';

/** A compiled JSONata predicate over a row: true caches the row, false (or no result) leaves it out.
 *  json/jsonb columns are seen parsed (numbers as doubles). */
export class RowFilter {
  private readonly expression: jsonata.Expression;

  constructor(readonly source: string) {
    this.expression = jsonata(source);
  }

  async matches(row: Row): Promise<boolean> {
    let result: unknown;
    try {
      result = await this.expression.evaluate(parsedForExpressions(row));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new EventRejectedError(`filter "${this.source}" failed on this row: ${message}`);
    }
    if (result === undefined || typeof result === 'boolean') return result === true;
    throw new EventRejectedError(`filter "${this.source}" must give true or false, gave ${JSON.stringify(result)}`);
  }
}

export async function allMatch(filters: RowFilter[], row: Row): Promise<boolean> {
  for (const filter of filters) if (!(await filter.matches(row))) return false;
  return true;
}
