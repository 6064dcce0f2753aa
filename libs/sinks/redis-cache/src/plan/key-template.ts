import { parseKeyTemplate, type KeyTemplatePart } from '@distributary/config';
import { EventRejectedError, type ColumnValue, type Row } from '@distributary/core';
import { isBookkeepingName } from './row-state';
import { assertUserKey } from '../target/slots';

/**
 * A parsed `product:{id}` template. render() fills it from a row; a null column gives `null`.
 * `namespace`: set for templates that render Redis keys (values, groups; not members): a key that
 * names the sink's own row records or owner marker there is rejected.
 */
export class KeyTemplate {
  private readonly parts: KeyTemplatePart[];
  readonly columns: string[];

  constructor(
    readonly source: string,
    private readonly namespace?: string,
  ) {
    this.parts = parseKeyTemplate(source);
    this.columns = this.parts.flatMap((part) => ('column' in part ? [part.column] : []));
  }

  /** True when the row carries every column the template needs (null values count as carried). */
  canRender(row: Row | undefined): row is Row {
    return row !== undefined && this.columns.every((column) => Object.hasOwn(row, column));
  }

  /**
   * The rendered key, `null` when a column is null, or a rejection when a column is absent or not a
   * scalar, or when the key holds U+0000 (reserved for the sink's bookkeeping keys, see slots.ts) or
   * names the namespace's row records or owner marker.
   */
  render(row: Row): string | null {
    let key = '';
    for (const part of this.parts) {
      if ('literal' in part) {
        key += part.literal;
        continue;
      }
      if (!Object.hasOwn(row, part.column))
        throw new EventRejectedError(
          `key template "${this.source}" needs column "${part.column}", absent from the row`,
        );
      const text = scalarText(row[part.column], this.source, part.column);
      if (text === null) return null;
      key += text;
    }
    assertUserKey(key, this.source);
    if (this.namespace !== undefined && isBookkeepingName(this.namespace, key))
      throw new EventRejectedError(
        `key template "${this.source}" rendered "${key}", a name the sink keeps its row records under ` +
          `(namespace "${this.namespace}"); change the key template, the data or the sink's \`namespace\``,
      );
    return key;
  }

  /** Like render(), but a null column is itself a rejection (the row's own cache key must exist). */
  renderRequired(row: Row): string {
    const key = this.render(row);
    if (key === null)
      throw new EventRejectedError(`key template "${this.source}": a column it needs is null in this row`);
    return key;
  }
}

function scalarText(value: ColumnValue, template: string, column: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new EventRejectedError(`key template "${template}": column "${column}" is not a scalar`);
}
