import { escapeLiteral } from 'pg';
import { aggregateOutput, groupStateColumns, scaleDeltas, scaledArguments } from './aggregate-state';
import type { BoundColumn, BoundPredicate, ResolvedView } from '../parse/resolve-view';
import type { Literal, Side } from '../parse/view-sql';
import { ident, type ViewTableNames } from '../target/view-tables';

/**
 * The SQL that maintains one generation of a view. Every statement is set-based and parameterised by
 * arrays (primary keys, group keys) or one jsonb document of rows, so a batch costs a handful of round
 * trips whatever its size. Column values never pass through JS arithmetic: sums are numeric in SQL.
 *
 * Contribution model: a fact row contributes to at most one group. `contrib` holds, per fact primary
 * key, exactly what it currently adds to its group; applying a change recomputes the contribution of
 * every affected fact from the mirrors and adds (new - old) to the group state. That is correct under
 * any interleaving and without before-images, and applying the same change twice adds zero.
 * What the group state holds per aggregate argument, and how outputs are derived from it so they equal
 * PostgreSQL's own aggregates (NaN, ±Infinity, -0, numeric scale, intervals): aggregate-state.ts.
 */
export class ViewStatements {
  constructor(
    readonly view: ResolvedView,
    readonly names: ViewTableNames,
  ) {}

  /** DDL creating every table of this generation (state tables and the target). */
  createTables(): string[] {
    const { view, names } = this;
    const mirror = (table: string, columns: BoundColumn[]): string =>
      `CREATE TABLE ${table} (__pk text PRIMARY KEY, __lsn numeric NOT NULL, __seq integer NOT NULL, ` +
      `__deleted boolean NOT NULL${columns.map((c) => `, ${ident(c.column)} ${c.type.sqlType}`).join('')})`;
    const statements = [
      `CREATE SCHEMA IF NOT EXISTS ${ident(names.stateSchema)}`,
      `CREATE SCHEMA IF NOT EXISTS ${ident(names.targetSchema)}`,
      mirror(names.facts, view.factColumns),
      `CREATE TABLE ${names.floors} (side text PRIMARY KEY, lsn numeric NOT NULL, seq integer NOT NULL)`,
      `CREATE TABLE ${names.contrib} (__pk text PRIMARY KEY, __gk text NOT NULL` +
        view.groups.map((g, i) => `, g_${i} ${g.outputType}`).join('') +
        view.args.map((a, j) => `, a_${j} ${a.column.type.sqlType}`).join('') +
        ')',
      `CREATE INDEX ON ${names.contrib} (__gk)`,
      `CREATE TABLE ${names.groups} (__gk text PRIMARY KEY` +
        view.groups.map((g, i) => `, g_${i} ${g.outputType}`).join('') +
        ', __rows bigint NOT NULL' +
        groupStateColumns(view)
          .map((c) => `, ${c.name} ${c.type} NOT NULL`)
          .join('') +
        ')',
      `CREATE TABLE ${names.scales} (__gk text NOT NULL, arg integer NOT NULL, scale integer NOT NULL, ` +
        'n bigint NOT NULL, PRIMARY KEY (__gk, arg, scale))',
      `CREATE TABLE ${names.target} (` +
        view.definition.outputs
          .map((output) =>
            output.kind === 'group'
              ? `${ident(output.name)} ${view.groups[output.index].outputType}`
              : `${ident(output.name)} ${view.aggregates[output.index].outputType}`,
          )
          .join(', ') +
        ')',
      `CREATE UNIQUE INDEX ${ident(names.targetKeyIndex)} ON ${names.target} (${this.groupOutputList()}) NULLS NOT DISTINCT`,
    ];
    if (view.lookupTable) {
      statements.push(mirror(names.lookup, view.lookupColumns));
      if (view.join) statements.push(`CREATE INDEX ON ${names.facts} (${ident(view.join.factColumn.column)})`);
    }
    return statements;
  }

  dropStateTables(): string {
    const { names, view } = this;
    const tables = [
      names.facts,
      names.floors,
      names.contrib,
      names.groups,
      names.scales,
      ...(view.lookupTable ? [names.lookup] : []),
    ];
    return `DROP TABLE IF EXISTS ${tables.join(', ')}`;
  }

  /**
   * Upserts mirrored rows from `$1` (a jsonb array of {__pk, __lsn, __seq, __deleted, <columns>}),
   * keeping only versions newer than the stored one and than the side's truncation floor.
   * Returns the primary keys whose mirrored row actually changed: new, or with a different value or
   * deleted flag. A newer version with the same values (a re-sync re-reading an unchanged row, an
   * UPDATE of a column the view does not read) only moves the stored version forward — the version
   * must still move, or a TRUNCATE or a late older event between the two versions would be judged
   * against the old one — and its key is not returned, so its contribution, group and view row are
   * not rewritten. Values are compared as text, so a change the type's equality hides (1.0 → 1.00,
   * 0 → -0) still counts.
   */
  upsertMirror(side: Side): string {
    const table = side === 'fact' ? this.names.facts : this.names.lookup;
    const columns = side === 'fact' ? this.view.factColumns : this.view.lookupColumns;
    const names = ['__pk', '__lsn', '__seq', '__deleted', ...columns.map((c) => ident(c.column))];
    const recordType = [
      '__pk text',
      '__lsn numeric',
      '__seq integer',
      '__deleted boolean',
      ...columns.map((c) => `${ident(c.column)} ${c.type.sqlType}`),
    ].join(', ');
    const image = (alias: string): string =>
      `ROW(${['__deleted', ...columns.map((c) => ident(c.column))].map((n) => `${alias}.${n}`).join(', ')})::text`;
    return (
      `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${recordType})), ` +
      // the stored images, read in the statement's snapshot: before the upsert below
      `old AS (SELECT m.__pk, ${image('m')} AS image FROM ${table} m WHERE m.__pk IN (SELECT __pk FROM x)), ` +
      `up AS (INSERT INTO ${table} AS m (${names.join(', ')}) ` +
      `SELECT ${names.map((n) => `x.${n}`).join(', ')} FROM x ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${this.names.floors} f WHERE f.side = '${side}' AND (x.__lsn, x.__seq) <= (f.lsn, f.seq)) ` +
      `ON CONFLICT (__pk) DO UPDATE SET ${names
        .slice(1)
        .map((n) => `${n} = EXCLUDED.${n}`)
        .join(', ')} ` +
      `WHERE (m.__lsn, m.__seq) < (EXCLUDED.__lsn, EXCLUDED.__seq) ` +
      `RETURNING m.__pk, ${image('m')} AS image) ` +
      `SELECT up.__pk FROM up LEFT JOIN old ON old.__pk = up.__pk WHERE old.image IS DISTINCT FROM up.image`
    );
  }

  /** Validates that `$1` rows convert to the mirror's column types (used to find rows to reject). */
  convertRows(side: Side): string {
    const columns = side === 'fact' ? this.view.factColumns : this.view.lookupColumns;
    const recordType = ['__pk text', ...columns.map((c) => `${ident(c.column)} ${c.type.sqlType}`)].join(', ');
    return `SELECT count(*) FROM jsonb_to_recordset($1::jsonb) AS x(${recordType})`;
  }

  /** Raises the side's truncation floor to ($1, $2). */
  raiseFloor(side: Side): string {
    return (
      `INSERT INTO ${this.names.floors} AS f (side, lsn, seq) VALUES ('${side}', $1, $2) ` +
      `ON CONFLICT (side) DO UPDATE SET lsn = EXCLUDED.lsn, seq = EXCLUDED.seq ` +
      `WHERE (f.lsn, f.seq) < (EXCLUDED.lsn, EXCLUDED.seq)`
    );
  }

  /** TRUNCATE at ($1, $2): every older mirrored row becomes a tombstone. Returns their keys. */
  truncateMirror(side: Side): string {
    const table = side === 'fact' ? this.names.facts : this.names.lookup;
    return (
      `UPDATE ${table} SET __deleted = true, __lsn = $1, __seq = $2 ` +
      `WHERE NOT __deleted AND (__lsn, __seq) < ($1::numeric, $2::integer) RETURNING __pk`
    );
  }

  /** Facts joined to any of the lookup rows `$1` (lookup primary keys). */
  factsOfLookups(): string {
    const join = this.requireJoin();
    return (
      `SELECT f.__pk FROM ${this.names.facts} f JOIN ${this.names.lookup} l ` +
      `ON l.${ident(join.lookupColumn.column)} = f.${ident(join.factColumn.column)} WHERE l.__pk = ANY($1::text[])`
    );
  }

  /**
   * The current contribution of the facts `$1`: one row per live fact that passes the WHERE and,
   * with a join, has a live lookup row (inner-join semantics).
   */
  contributionsOf(): string {
    const { view, names } = this;
    const groupExprs = view.groups.map((g) => (g.trimScale ? `trim_scale(${ref(g.column)})` : ref(g.column)));
    const groupKey = groupExprs.length ? `jsonb_build_array(${groupExprs.join(', ')})::text` : `'[]'`;
    const columns = [
      'f.__pk',
      `${groupKey} AS __gk`,
      ...groupExprs.map((expr, i) => `${expr} AS g_${i}`),
      ...view.args.map((arg, j) => `${ref(arg.column)} AS a_${j}`),
    ];
    const join = view.join
      ? ` JOIN ${names.lookup} l ON l.${ident(view.join.lookupColumn.column)} = f.${ident(view.join.factColumn.column)} AND NOT l.__deleted`
      : '';
    const where = view.where ? ` AND (${predicateSql(view.where)})` : '';
    return `SELECT ${columns.join(', ')} FROM ${names.facts} f${join} WHERE f.__pk = ANY($1::text[]) AND NOT f.__deleted${where}`;
  }

  /**
   * Adds (new contributions - old contributions) of the facts `$1` to the group state, in one statement.
   * Returns every group key touched.
   */
  applyGroupDeltas(): string {
    const { view, names } = this;
    const contribColumns = this.contribColumns();
    const groupCols = view.groups.map((_, i) => `g_${i}`);
    const state = groupStateColumns(view);
    const deltas = ['sum(__s)::bigint AS __rows', ...state.map((c) => `${c.delta} AS ${c.name}`)];
    const stateCols = ['__rows', ...state.map((c) => c.name)];
    const scales = scaleDeltas(view);
    const scaleUpdate = scales
      ? `, sc AS (INSERT INTO ${names.scales} AS s (__gk, arg, scale, n) ${scales} ` +
        `ON CONFLICT (__gk, arg, scale) DO UPDATE SET n = s.n + EXCLUDED.n)`
      : '';
    return (
      `WITH newc AS (${this.contributionsOf()}), ` +
      `oldc AS (SELECT ${contribColumns.join(', ')} FROM ${names.contrib} WHERE __pk = ANY($1::text[])), ` +
      `u AS (SELECT 1 AS __s, ${contribColumns.join(', ')} FROM newc UNION ALL SELECT -1, ${contribColumns.join(', ')} FROM oldc)` +
      `${scaleUpdate} ` +
      `INSERT INTO ${names.groups} AS gr (__gk, ${[...groupCols, ...stateCols].join(', ')}) ` +
      `SELECT __gk, ${[...groupCols, ...deltas].join(', ')} FROM u GROUP BY __gk${groupCols.map((c) => `, ${c}`).join('')} ` +
      `ON CONFLICT (__gk) DO UPDATE SET ${stateCols.map((c) => `${c} = gr.${c} + EXCLUDED.${c}`).join(', ')} ` +
      `RETURNING gr.__gk`
    );
  }

  /**
   * Rebuilds every group's state from the stored contributions (repair): the group state is a sum
   * over `contrib`, so whatever damaged it, this makes it exact again. Then rewrite the view rows with
   * refreshTargetRows() over allGroupKeys() after emptying the target (clearTarget()).
   */
  recomputeState(): string[] {
    const { view, names } = this;
    const contribColumns = this.contribColumns();
    const groupCols = view.groups.map((_, i) => `g_${i}`);
    const state = groupStateColumns(view);
    const u = `WITH u AS (SELECT 1 AS __s, ${contribColumns.join(', ')} FROM ${names.contrib}) `;
    const scales = scaleDeltas(view);
    return [
      `DELETE FROM ${names.groups}`,
      `DELETE FROM ${names.scales}`,
      u +
        `INSERT INTO ${names.groups} (__gk, ${[...groupCols, '__rows', ...state.map((c) => c.name)].join(', ')}) ` +
        `SELECT __gk, ${[...groupCols, 'sum(__s)::bigint', ...state.map((c) => c.delta)].join(', ')} ` +
        `FROM u GROUP BY __gk${groupCols.map((c) => `, ${c}`).join('')}`,
      ...(scales ? [`${u}INSERT INTO ${names.scales} (__gk, arg, scale, n) ${scales}`] : []),
    ];
  }

  clearTarget(): string {
    return `DELETE FROM ${this.names.target}`;
  }

  allGroupKeys(): string {
    return `SELECT coalesce(array_agg(__gk), '{}') AS keys FROM ${this.names.groups}`;
  }

  deleteContributions(): string {
    return `DELETE FROM ${this.names.contrib} WHERE __pk = ANY($1::text[])`;
  }

  insertContributions(): string {
    return `INSERT INTO ${this.names.contrib} (${this.contribColumns().join(', ')}) ${this.contributionsOf()}`;
  }

  /** Rewrites the view rows of the live groups among `$1`; min/max are recomputed from contributions. */
  refreshTargetRows(): string {
    const { view, names } = this;
    const extremes = view.args
      .map((arg, j) => (arg.needsExtremes ? `, min(a_${j}) AS min_${j}, max(a_${j}) AS max_${j}` : ''))
      .join('');
    const needsExtremes = view.args.some((arg) => arg.needsExtremes);
    const extremesJoin = needsExtremes
      ? ` LEFT JOIN (SELECT __gk${extremes} FROM ${names.contrib} WHERE __gk = ANY($1::text[]) GROUP BY __gk) mm ON mm.__gk = gr.__gk`
      : '';
    const scaled = scaledArguments(view);
    const scalesJoin = scaled.length
      ? ` LEFT JOIN (SELECT __gk${scaled.map((j) => `, max(scale) FILTER (WHERE arg = ${j}) AS scale_${j}`).join('')} ` +
        `FROM ${names.scales} WHERE __gk = ANY($1::text[]) AND n > 0 GROUP BY __gk) sc ON sc.__gk = gr.__gk`
      : '';
    const outputs = view.definition.outputs.map((output) =>
      output.kind === 'group' ? `gr.g_${output.index}` : aggregateOutput(view, view.aggregates[output.index]),
    );
    const aggregateNames = view.definition.outputs.filter((o) => o.kind === 'aggregate').map((o) => ident(o.name));
    return (
      `INSERT INTO ${names.target} (${view.definition.outputs.map((o) => ident(o.name)).join(', ')}) ` +
      `SELECT ${outputs.join(', ')} FROM ${names.groups} gr${extremesJoin}${scalesJoin} ` +
      `WHERE gr.__gk = ANY($1::text[]) AND gr.__rows > 0 ` +
      `ON CONFLICT (${this.groupOutputList()}) DO UPDATE SET ${aggregateNames.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}`
    );
  }

  /** Removes the view rows, then the state, of the groups among `$1` whose count reached zero. */
  deleteEmptyGroups(): string[] {
    const { view, names } = this;
    const match = view.groups.map((g, i) => `t.${ident(g.name)} IS NOT DISTINCT FROM gr.g_${i}`).join(' AND ');
    return [
      `DELETE FROM ${names.target} t USING ${names.groups} gr WHERE gr.__gk = ANY($1::text[]) AND gr.__rows = 0 AND ${match}`,
      `DELETE FROM ${names.groups} WHERE __gk = ANY($1::text[]) AND __rows = 0`,
      `DELETE FROM ${names.scales} WHERE __gk = ANY($1::text[]) AND n = 0`,
    ];
  }

  /**
   * Removes tombstones at or below ($1, $2). Safe when ($1, $2) is at or below every partition's stored
   * position: a key's older events could only come again through its own partition, at or below that
   * partition's position, and those are skipped. Truncation floors stay.
   */
  purgeTombstones(): string[] {
    const tables = [this.names.facts, ...(this.view.lookupTable ? [this.names.lookup] : [])];
    return tables.map(
      (table) => `DELETE FROM ${table} WHERE __deleted AND (__lsn, __seq) <= ($1::numeric, $2::integer)`,
    );
  }

  /** Facts that currently contribute (a lookup TRUNCATE affects all of them). */
  allContributingFacts(): string {
    return `SELECT __pk FROM ${this.names.contrib}`;
  }

  private contribColumns(): string[] {
    return ['__pk', '__gk', ...this.view.groups.map((_, i) => `g_${i}`), ...this.view.args.map((_, j) => `a_${j}`)];
  }

  private groupOutputList(): string {
    return this.view.groups.map((g) => ident(g.name)).join(', ');
  }

  private requireJoin(): NonNullable<ResolvedView['join']> {
    if (!this.view.join) throw new Error('this view has no lookup join');
    return this.view.join;
  }
}

function ref(column: BoundColumn): string {
  return `${column.side === 'fact' ? 'f' : 'l'}.${ident(column.column)}`;
}

function predicateSql(predicate: BoundPredicate): string {
  switch (predicate.kind) {
    case 'and':
      return predicate.args.map((arg) => `(${predicateSql(arg)})`).join(' AND ');
    case 'compare':
      return `${ref(predicate.column)} ${predicate.op} ${literalSql(predicate.value)}`;
    case 'null-test':
      return `${ref(predicate.column)} IS ${predicate.negated ? 'NOT ' : ''}NULL`;
    case 'in':
      return `${ref(predicate.column)} ${predicate.negated ? 'NOT IN' : 'IN'} (${predicate.values.map(literalSql).join(', ')})`;
  }
}

function literalSql(literal: Literal): string {
  switch (literal.kind) {
    case 'string':
      return escapeLiteral(literal.value);
    case 'number':
      if (!/^-?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(literal.text))
        throw new Error(`not a numeric literal: ${literal.text}`);
      return literal.text;
    case 'boolean':
      return literal.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
  }
}
