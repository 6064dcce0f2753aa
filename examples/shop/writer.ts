/**
 * Continuous random writes to the shop (inserts, updates, deletes), to watch Distributary follow
 * along. Each operation is its own transaction. Stops cleanly on Ctrl-C and prints what it did.
 *
 *   npx tsx examples/shop/writer.ts [--rate 20] [--url …] [--seed 1] [--count N]
 */
import { Command } from 'commander';
import { Client } from 'pg';
import { DEFAULT_SHOP_URL } from './load';

interface Options {
  url: string;
  rate: number;
  seed: number;
  count?: number;
}

/** A small deterministic PRNG (mulberry32), so a seed reproduces a run's choices. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Operation = (db: Client, rnd: () => number) => Promise<unknown>;

const pick = (rnd: () => number, max: number): number => 1 + Math.floor(rnd() * max);

/** The mix of operations and their weights. */
const OPERATIONS: [string, number, Operation][] = [
  [
    'insert order',
    45,
    (db, rnd) =>
      db.query(
        `INSERT INTO orders (id, customer_id, product_id, quantity, amount)
         SELECT (SELECT coalesce(max(id), 0) + 1 FROM orders), c.id, p.id, $3::int, $3::int * p.price
           FROM (SELECT id FROM customers ORDER BY abs(id - $1) LIMIT 1) c,
                (SELECT id, price FROM products ORDER BY abs(id - $2) LIMIT 1) p`,
        [pick(rnd, 500), pick(rnd, 400), pick(rnd, 4)],
      ),
  ],
  [
    'update product price/stock',
    25,
    (db, rnd) =>
      db.query(
        `UPDATE products SET price = round(price * $2::numeric, 2), stock = greatest(stock + $3::int, 0), updated_at = now()
          WHERE id = (SELECT id FROM products ORDER BY abs(id - $1) LIMIT 1)`,
        [pick(rnd, 400), (0.9 + rnd() * 0.2).toFixed(3), pick(rnd, 21) - 11],
      ),
  ],
  [
    'update order quantity',
    10,
    (db, rnd) =>
      db.query(
        `UPDATE orders o SET quantity = $2::int, amount = $2::int * p.price FROM products p
          WHERE p.id = o.product_id AND o.id = (SELECT id FROM orders ORDER BY abs(id - $1) LIMIT 1)`,
        [pick(rnd, 4000), pick(rnd, 5)],
      ),
  ],
  [
    'delete order',
    8,
    (db, rnd) =>
      db.query(`DELETE FROM orders WHERE id = (SELECT id FROM orders ORDER BY abs(id - $1) LIMIT 1)`, [
        pick(rnd, 4000),
      ]),
  ],
  [
    'insert product',
    5,
    (db, rnd) =>
      db.query(
        `INSERT INTO products (id, category_id, name, description, price, stock)
         SELECT coalesce(max(id), 0) + 1, $1::int, 'New product ' || (coalesce(max(id), 0) + 1),
                (SELECT string_agg(md5(random()::text), ' ') FROM generate_series(1, 130)), $2::numeric, 10
           FROM products`,
        [pick(rnd, 12), (1 + rnd() * 200).toFixed(2)],
      ),
  ],
  [
    'move product to another category',
    4,
    (db, rnd) =>
      db.query(
        `UPDATE products SET category_id = $2, updated_at = now()
          WHERE id = (SELECT id FROM products ORDER BY abs(id - $1) LIMIT 1)`,
        [pick(rnd, 400), pick(rnd, 12)],
      ),
  ],
  [
    'rename category',
    1,
    (db, rnd) =>
      db.query(`UPDATE categories SET name = initcap(slug) || ' ' || $2::int, updated_at = now() WHERE id = $1::int`, [
        pick(rnd, 12),
        pick(rnd, 99),
      ]),
  ],
  [
    'delete product without orders',
    2,
    (db) =>
      db.query(
        `DELETE FROM products WHERE id = (SELECT p.id FROM products p
           WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.product_id = p.id) ORDER BY p.id DESC LIMIT 1)`,
      ),
  ],
];

const TOTAL_WEIGHT = OPERATIONS.reduce((sum, [, weight]) => sum + weight, 0);

function choose(rnd: () => number): [string, Operation] {
  let ticket = rnd() * TOTAL_WEIGHT;
  for (const [name, weight, op] of OPERATIONS) {
    ticket -= weight;
    if (ticket < 0) return [name, op];
  }
  const [name, , op] = OPERATIONS[0];
  return [name, op];
}

export async function runWriter(options: Options, signal: AbortSignal): Promise<Record<string, number>> {
  const db = new Client({ connectionString: options.url });
  await db.connect();
  const rnd = random(options.seed);
  const done: Record<string, number> = {};
  const interval = 1000 / options.rate;
  let next = Date.now();
  try {
    for (let n = 0; !signal.aborted && (options.count === undefined || n < options.count); n++) {
      const [name, op] = choose(rnd);
      await op(db, rnd);
      done[name] = (done[name] ?? 0) + 1;
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else next = Date.now();
    }
  } finally {
    await db.end();
  }
  return done;
}

if (require.main === module) {
  const options = new Command('writer')
    .description('continuous random inserts, updates and deletes on the shop database (Ctrl-C stops)')
    .option('--url <url>', 'database URL', process.env.PG_URL ?? DEFAULT_SHOP_URL)
    .option('--rate <ops>', 'operations per second', (v) => Number(v), 20)
    .option('--seed <n>', 'random seed (same seed, same choices)', (v) => Number(v), Date.now() % 100_000)
    .option('--count <n>', 'stop after n operations', (v) => Number(v))
    .parse()
    .opts<Options>();
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  console.log(
    `writing to ${options.url.replace(/:[^:@/]*@/, ':***@')} at ${options.rate}/s (seed ${options.seed}); Ctrl-C stops`,
  );
  runWriter(options, controller.signal).then(
    (done) => {
      const total = Object.values(done).reduce((a, b) => a + b, 0);
      console.log(`stopped after ${total} operations:`);
      for (const [name, n] of Object.entries(done)) console.log(`  ${name}: ${n}`);
    },
    (error: Error) => {
      console.error(`writer failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
