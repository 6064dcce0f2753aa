import type { BoundAggregate, BoundArgument, ResolvedView } from '../parse/resolve-view';

/**
 * The per-group running state of a view's aggregates, and how PostgreSQL turns it into the values its
 * own SELECT would return. Every quantity is kept so that retracting a contribution is exact:
 *
 * - `nn_j` counts the non-null values of argument j (count(col), and "is the sum NULL").
 * - integer arguments: `sum_j` is the exact numeric sum.
 * - numeric arguments: `sum_j` sums the finite values only; `nan_j`, `pinf_j`, `ninf_j` count NaN,
 *   +Infinity and -Infinity. PostgreSQL's own numeric aggregates keep the same counters: any NaN, or
 *   both infinities, give NaN; else one infinity wins. The display scale of the result is the largest
 *   scale among the finite values (as PostgreSQL's sum); the `scales` table counts values per scale so
 *   that the largest one is known again after retractions.
 * - float arguments: as numeric, each value converted through its shortest round-trip decimal text (so 0.1::float8
 *   is 0.1, not 0.1000000000000000055…), plus `negz_j` counting -0 (a float sum is -0 only when every
 *   value is -0). The sum is exact, then rounded once to the float type.
 * - interval arguments: `sum_j` is an interval sum (interval addition is exact, month, day and
 *   microsecond fields separately, as PostgreSQL's sum(interval)); avg is that sum divided by the count.
 *
 * min/max are not kept here: they are recomputed from the contribution rows of the touched groups.
 */

/** The largest finite value of each float type (exactly), and the exact sum from which rounding to the
 *  nearest value gives Infinity (max + half a unit in the last place; a tie rounds to even, i.e. up). */
const FLOAT_MAX: Record<string, { max: string; overflow: string }> = {
  real: { max: '340282346638528859811704183484516925440', overflow: '340282356779733661637539395458142568448' },
  'double precision': {
    max: '179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368',
    overflow:
      '179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792',
  },
};

export interface StateColumn {
  name: string;
  type: string;
  /** The change of this column over the rows of `u` (`__s` = +1 for a new, -1 for an old contribution). */
  delta: string;
}

function finiteTest(a: string): string {
  return `${a} NOT IN ('NaN', 'Infinity', '-Infinity')`;
}

function counter(name: string, test: string): StateColumn {
  return { name, type: 'bigint', delta: `coalesce(sum(CASE WHEN ${test} THEN __s END), 0)::bigint` };
}

/** The group-state columns of argument j (besides `__rows`), with their delta expressions. */
export function argumentState(arg: BoundArgument, j: number): StateColumn[] {
  const a = `a_${j}`;
  const columns: StateColumn[] = [counter(`nn_${j}`, `${a} IS NOT NULL`)];
  if (!arg.needsSum) return columns;
  switch (arg.sumKind) {
    case 'numeric':
      columns.push({
        name: `sum_${j}`,
        type: 'numeric',
        delta: `coalesce(sum(CASE WHEN ${finiteTest(a)} THEN __s * ${a} END), 0)`,
      });
      break;
    case 'float':
      columns.push({
        name: `sum_${j}`,
        type: 'numeric',
        delta: `coalesce(sum(CASE WHEN ${finiteTest(a)} THEN __s * ${a}::float8::text::numeric END), 0)`,
      });
      break;
    case 'interval':
      columns.push({ name: `sum_${j}`, type: 'interval', delta: `coalesce(sum(__s * ${a}), interval '0')` });
      break;
    default:
      columns.push({ name: `sum_${j}`, type: 'numeric', delta: `coalesce(sum(__s * ${a}::numeric), 0)` });
  }
  if (arg.sumKind === 'numeric' || arg.sumKind === 'float')
    columns.push(
      counter(`nan_${j}`, `${a} = 'NaN'`),
      counter(`pinf_${j}`, `${a} = 'Infinity'`),
      counter(`ninf_${j}`, `${a} = '-Infinity'`),
    );
  if (arg.sumKind === 'float') columns.push(counter(`negz_${j}`, `${a}::text = '-0'`));
  return columns;
}

export function groupStateColumns(view: ResolvedView): StateColumn[] {
  return view.args.flatMap((arg, j) => argumentState(arg, j));
}

/** Arguments whose result scale is tracked in the `scales` table (numeric sums and averages). */
export function scaledArguments(view: ResolvedView): number[] {
  return view.args.flatMap((arg, j) => (arg.needsSum && arg.sumKind === 'numeric' ? [j] : []));
}

/**
 * Per (group, numeric argument, scale) the change in the number of finite values, over the rows of
 * `u`; one row per key, so it can feed an INSERT … ON CONFLICT.
 */
export function scaleDeltas(view: ResolvedView): string | undefined {
  const parts = scaledArguments(view).map(
    (j) =>
      `SELECT __gk, ${j} AS arg, scale(a_${j}) AS scale, sum(__s)::bigint AS n FROM u ` +
      `WHERE a_${j} IS NOT NULL AND ${finiteTest(`a_${j}`)} GROUP BY __gk, scale(a_${j})`,
  );
  return parts.length ? parts.join(' UNION ALL ') : undefined;
}

/** NULL over no values, then NaN / ±Infinity from the counters, else the finite result. */
function specialAware(j: number, type: string, finite: string): string {
  return (
    `CASE WHEN gr.nn_${j} = 0 THEN NULL ` +
    `WHEN gr.nan_${j} > 0 OR (gr.pinf_${j} > 0 AND gr.ninf_${j} > 0) THEN 'NaN'::${type} ` +
    `WHEN gr.pinf_${j} > 0 THEN 'Infinity'::${type} WHEN gr.ninf_${j} > 0 THEN '-Infinity'::${type} ` +
    `ELSE ${finite} END`
  );
}

/**
 * The exact finite float sum rounded to `type` (round to nearest, as PostgreSQL's float addition). A sum
 * that rounds beyond the type's range is ±Infinity (the source's own SELECT raises "value out of range:
 * overflow" there); one above the largest value that still rounds to it is that value (a cast would
 * raise: PostgreSQL's numeric → real refuses such values).
 */
function floatSum(j: number, type: string): string {
  const { max, overflow } = FLOAT_MAX[type] ?? FLOAT_MAX['double precision'];
  const sum = `gr.sum_${j}`;
  return (
    `(CASE WHEN ${sum} >= ${overflow} THEN 'Infinity'::${type} WHEN ${sum} <= -${overflow} THEN '-Infinity'::${type} ` +
    `WHEN ${sum} > ${max} THEN ${max}::numeric::float8::${type} WHEN ${sum} < -${max} THEN (-${max})::numeric::float8::${type} ` +
    `ELSE ${sum}::${type} END)`
  );
}

/** The numeric finite sum at the display scale PostgreSQL's sum would give. */
function numericSum(j: number): string {
  return `round(gr.sum_${j}, coalesce(sc.scale_${j}, 0))`;
}

/** The view output of one aggregate, from the group state `gr`, scales `sc` and extremes `mm`. */
export function aggregateOutput(view: ResolvedView, aggregate: BoundAggregate): string {
  const j = aggregate.arg;
  if (j === undefined) return 'gr.__rows';
  const type = aggregate.outputType;
  const kind = view.args[j].sumKind;
  const argType = view.args[j].column.type.baseType;
  switch (aggregate.fn) {
    case 'count':
      return `gr.nn_${j}`;
    case 'min':
      return `mm.min_${j}`;
    case 'max':
      return `mm.max_${j}`;
    case 'sum':
      if (kind === 'numeric') return specialAware(j, type, numericSum(j));
      if (kind === 'float')
        return specialAware(
          j,
          type,
          `CASE WHEN gr.negz_${j} = gr.nn_${j} THEN '-0'::${type} ELSE ${floatSum(j, type)} END`,
        );
      return `CASE WHEN gr.nn_${j} = 0 THEN NULL ELSE gr.sum_${j}::${type} END`;
    case 'avg':
      if (kind === 'numeric') return specialAware(j, type, `${numericSum(j)} / gr.nn_${j}::numeric`);
      // avg(real) accumulates in double precision, as PostgreSQL's float4_accum does.
      if (kind === 'float')
        return specialAware(
          j,
          type,
          `${floatSum(j, argType === 'real' ? 'double precision' : type)} / gr.nn_${j}::float8`,
        );
      if (kind === 'interval') return `CASE WHEN gr.nn_${j} = 0 THEN NULL ELSE gr.sum_${j} / gr.nn_${j}::float8 END`;
      return `CASE WHEN gr.nn_${j} = 0 THEN NULL ELSE (gr.sum_${j} / gr.nn_${j}::numeric)::${type} END`;
  }
}
