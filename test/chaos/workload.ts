/**
 * The chaos workload over three tables: accounts (→ Elasticsearch), notes (→ Redis cache) and
 * orders (→ materialized view). Inserts, updates (some leaving a TOASTed value unchanged, so the
 * connector must fill it), deletes, values over 4 kB, and one large transaction. It keeps writing
 * through source restarts: a failed transaction is abandoned (its outcome, if unknown, is whatever
 * the source says — the check compares against the source, not against this counter).
 */
import { Pool, type PoolClient } from 'pg';
import type { Random } from './random';

export const CHAOS_TABLES = ['public.accounts', 'public.orders', 'public.notes'];

export const chaosSchemaSql = `
CREATE TABLE public.accounts (id integer PRIMARY KEY, name text NOT NULL, balance integer NOT NULL, bio text);
CREATE TABLE public.orders (id integer PRIMARY KEY, account_id integer NOT NULL, amount integer NOT NULL, status text NOT NULL);
CREATE TABLE public.notes (id integer PRIMARY KEY, account_id integer NOT NULL, body text NOT NULL);
`;

export const CHAOS_VIEW_SQL =
  'SELECT account_id, count(*) AS orders, sum(amount) AS total FROM public.orders GROUP BY account_id';

type Statement = [string, unknown[]];

export class ChaosWorkload {
  /** Row changes in transactions whose COMMIT succeeded. */
  changes = 0;
  committed = 0;
  failed = 0;
  /** The error of the last transaction that failed (a large transaction's reason, when it did not commit). */
  lastError: string | undefined;
  private readonly pool: Pool;
  private nextAccount = 1;
  private nextOrder = 1;
  private nextNote = 1;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    sourceUrl: string,
    private readonly random: Random,
    private readonly transactionsPerSecond: number,
  ) {
    this.pool = new Pool({ connectionString: sourceUrl, max: 3, connectionTimeoutMillis: 5000 });
    this.pool.on('error', () => undefined); // idle clients die with a source restart; the pool replaces them
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.pool.end();
  }

  /** One transaction inserting `rows` orders and touching some existing rows of the other tables. */
  /** Resolves true when it committed. */
  async largeTransaction(rows: number): Promise<boolean> {
    const first = this.nextOrder;
    this.nextOrder += rows;
    const accounts = Math.max(1, this.nextAccount - 1);
    return this.transaction([
      [
        `INSERT INTO public.orders SELECT g, 1 + ((g::bigint * 7919) % $2)::int, (g % 500) + 1, 'bulk' FROM generate_series($1::int, $1::int + $3 - 1) AS g`,
        [first, accounts, rows],
      ],
      ['UPDATE public.accounts SET balance = balance + 1 WHERE id % 10 = 3', []],
      ['UPDATE public.notes SET account_id = account_id + 1 WHERE id % 10 = 7', []],
    ]);
  }

  private async run(): Promise<void> {
    const interval = 1000 / this.transactionsPerSecond;
    const inFlight = new Set<Promise<void>>();
    let next = Date.now();
    while (this.running) {
      const statements = this.randomTransaction();
      const tx = this.transaction(statements).then(() => undefined);
      inFlight.add(tx);
      void tx.then(() => inFlight.delete(tx));
      if (inFlight.size >= 3) await Promise.race(inFlight);
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else next = Date.now();
    }
    await Promise.all(inFlight);
  }

  private async transaction(statements: Statement[]): Promise<boolean> {
    let client: PoolClient | undefined;
    const ignore = (): void => undefined; // a source restart between two statements: the next query fails
    try {
      client = await this.pool.connect();
      client.on('error', ignore);
      await client.query('BEGIN');
      let rows = 0;
      for (const [sql, params] of statements) rows += (await client.query(sql, params)).rowCount ?? 0;
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
      this.changes += rows;
      this.committed++;
      return true;
    } catch (error) {
      this.failed++;
      this.lastError = error instanceof Error ? error.message : String(error);
      client?.off('error', ignore);
      client?.release(error instanceof Error ? error : true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return false;
    }
  }

  private randomTransaction(): Statement[] {
    const count = this.random.int(1, 4);
    return Array.from({ length: count }, () => this.randomStatement());
  }

  private existing(next: number): number {
    return this.random.int(1, Math.max(1, next - 1));
  }

  private randomStatement(): Statement {
    const r = this.random;
    const bio = (): string => (r.chance(0.4) ? r.incompressible(r.int(4500, 9000)) : `bio ${r.int(0, 1e6)}`);
    switch (r.int(0, 11)) {
      case 0:
      case 1:
        return [
          'INSERT INTO public.accounts VALUES ($1, $2, $3, $4)',
          [this.nextAccount++, `account ${r.int(0, 1e6)}`, r.int(0, 1000), bio()],
        ];
      case 2:
        // leaves the (often TOASTed) bio unchanged: pgoutput sends it as 'unchanged', the connector fills it
        return [
          'UPDATE public.accounts SET balance = balance + $2 WHERE id = $1',
          [this.existing(this.nextAccount), r.int(-50, 50)],
        ];
      case 3:
        return [
          'UPDATE public.accounts SET bio = $2, name = $3 WHERE id = $1',
          [this.existing(this.nextAccount), bio(), `renamed ${r.int(0, 1e6)}`],
        ];
      case 4:
        return ['DELETE FROM public.accounts WHERE id = $1', [this.existing(this.nextAccount)]];
      case 5:
      case 6:
        return [
          'INSERT INTO public.orders VALUES ($1, $2, $3, $4)',
          [this.nextOrder++, this.existing(this.nextAccount), r.int(1, 500), r.pick(['new', 'paid', 'shipped'])],
        ];
      case 7:
        return [
          'UPDATE public.orders SET amount = $2, status = $3, account_id = $4 WHERE id = $1',
          [
            this.existing(this.nextOrder),
            r.int(1, 500),
            r.pick(['paid', 'shipped', 'returned']),
            this.existing(this.nextAccount),
          ],
        ];
      case 8:
        return ['DELETE FROM public.orders WHERE id = $1', [this.existing(this.nextOrder)]];
      case 9:
        return [
          'INSERT INTO public.notes VALUES ($1, $2, $3)',
          [
            this.nextNote++,
            this.existing(this.nextAccount),
            r.chance(0.5) ? r.incompressible(r.int(4500, 12000)) : `note ${r.int(0, 1e6)}`,
          ],
        ];
      case 10:
        // leaves the TOASTed body unchanged
        return [
          'UPDATE public.notes SET account_id = $2 WHERE id = $1',
          [this.existing(this.nextNote), this.existing(this.nextAccount)],
        ];
      default:
        return ['DELETE FROM public.notes WHERE id = $1', [this.existing(this.nextNote)]];
    }
  }
}
