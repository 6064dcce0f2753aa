import type { RedisCacheQueryConfig } from '@distributary/config';
import { EventRejectedError, isNumericText, type ColumnValue, type Row } from '@distributary/core';
import { KeyTemplate } from './key-template';
import { RowFilter } from './row-filter';

/** One row's place in one query cache: a group key, the member, and its score for sorted sets. */
export interface Membership {
  query: number;
  group: string;
  member: string;
  score?: string;
}

export function membershipId(m: Pick<Membership, 'group' | 'member'>): string {
  return JSON.stringify([m.group, m.member]);
}

/**
 * A query cache: `category:{category_id}:products` → members (sorted by `score` when given, capped
 * to the best `limit`). A row is in no group when a group column or the score is null, or when the
 * query's filter does not match.
 */
export class QueryCache {
  readonly group: KeyTemplate;
  readonly member: KeyTemplate;
  readonly filter: RowFilter | undefined;
  readonly kind: 'zset' | 'set';

  constructor(
    readonly index: number,
    readonly config: RedisCacheQueryConfig,
    defaultMember: string,
    namespace?: string,
  ) {
    this.group = new KeyTemplate(config.key, namespace);
    this.member = new KeyTemplate(config.member ?? defaultMember);
    this.filter = config.filter === undefined ? undefined : new RowFilter(config.filter);
    this.kind = config.score === undefined ? 'set' : 'zset';
  }

  /** Where a complete row belongs (filters applied). */
  async membershipOf(row: Row): Promise<Membership | undefined> {
    if (this.filter && !(await this.filter.matches(row))) return undefined;
    const group = this.group.render(row);
    if (group === null) return undefined;
    const member = this.member.renderRequired(row);
    if (this.config.score === undefined) return { query: this.index, group, member };
    if (!Object.hasOwn(row, this.config.score))
      throw new EventRejectedError(
        `query "${this.config.key}" scores by column "${this.config.score}", absent from the row`,
      );
    const score = scoreText(row[this.config.score], this.config.score);
    if (score === null) return undefined;
    return { query: this.index, group, member, score };
  }

  /** Where a possibly partial row (a `before` image) may have been: no filters, no score. */
  possibleMembershipOf(row: Row | undefined): Membership | undefined {
    if (!this.group.canRender(row) || !this.member.canRender(row)) return undefined;
    const group = this.group.render(row);
    const member = this.member.render(row);
    return group === null || member === null ? undefined : { query: this.index, group, member };
  }
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** A sorted-set score: numbers, numeric text (int8/numeric), ±Infinity, or an ISO timestamp → epoch ms. */
export function scoreText(value: ColumnValue, column: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') {
    if (isNumericText(value)) return value;
    if (value === 'Infinity') return '+inf';
    if (value === '-Infinity') return '-inf';
    if (TIMESTAMP.test(value)) {
      const ms = Date.parse(isoTimestamp(value));
      if (Number.isFinite(ms)) return String(ms);
    }
  }
  throw new EventRejectedError(`score column "${column}" is not a number or timestamp: ${JSON.stringify(value)}`);
}

/** PostgreSQL's text forms ("2024-01-02 03:04:05.123456+00") as strict ISO-8601 for Date.parse;
 *  a timestamp without a zone is read as UTC, never as the process's local time. */
function isoTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (!match) return text;
  const [, date, time, zone] = match;
  const offset = zone && zone !== 'Z' ? `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '') || '00'}` : zone;
  return `${date}T${time}${offset ?? 'Z'}`;
}
