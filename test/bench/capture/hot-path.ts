/**
 * The connector's hot path in-process, without the replication socket: synthetic pgoutput messages of
 * the figure-1 table (public.docs, ~300 B rows) go through the real ReplicationSession — parse, decode,
 * row cache, encode, batched appends to the real log Redis, confirmations — with its back-pressure
 * honoured (feeding waits while the session has paused its stream). Prints CPU µs per event of this
 * process (less load-sensitive than a rate), the rate and the peak of appends in flight.
 *   npx tsx test/bench/capture/hot-path.ts [--transactions 100] [--rows 500] [--batch 1000] [--repeat 3]
 * Add `--prof` to node (`node --cpu-prof --import tsx …`) to see where the time goes.
 */
import { Pool } from 'pg';
import { ChangeLog, LogAppender, LogKeys, connectRedis } from '@distributary/changelog';
import { createLogger } from '@distributary/observability';
import { ReplicationSession, RowCache, WalStream } from '@distributary/connector';
import { TypeResolver } from '@distributary/pg-catalog';
import { parsePgoutput, type PgoutputMessage } from '@distributary/pg-protocol';
import { pgUrl, redisUrl, uniqueName } from '@distributary/testkit';
import { option } from '../argv';

const RELATION_OID = 424242;
const PG_EPOCH_MICROS = 946_684_800_000_000n;

class MessageWriter {
  private readonly parts: Buffer[] = [];
  byte(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }
  char(letter: string): this {
    return this.byte(letter.charCodeAt(0));
  }
  uint16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    this.parts.push(b);
    return this;
  }
  uint32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
    return this;
  }
  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.parts.push(b);
    return this;
  }
  uint64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.parts.push(b);
    return this;
  }
  cstring(text: string): this {
    this.parts.push(Buffer.from(`${text}\0`));
    return this;
  }
  text(value: string): this {
    const bytes = Buffer.from(value);
    return this.char('t').uint32(bytes.length).raw(bytes);
  }
  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const COLUMNS: [name: string, typeOid: number][] = [
  ['id', 23],
  ['grp', 23],
  ['title', 25],
  ['body', 25],
];

function relationMessage(): Buffer {
  const w = new MessageWriter().char('R').uint32(RELATION_OID).cstring('public').cstring('docs').char('d');
  w.uint16(COLUMNS.length);
  for (const [name, oid] of COLUMNS)
    w.byte(name === 'id' ? 1 : 0)
      .cstring(name)
      .uint32(oid)
      .int32(-1);
  return w.done();
}

function insertMessage(id: number): Buffer {
  const body = `${id.toString(16).padStart(8, '0')}${'abcdef0123456789'.repeat(15)}`.slice(0, 240);
  return new MessageWriter()
    .char('I')
    .uint32(RELATION_OID)
    .char('N')
    .uint16(4)
    .text(String(id))
    .text(String(id % 100))
    .text(`title ${id}`)
    .text(body)
    .done();
}

function beginMessage(commitLsn: bigint, xid: number): Buffer {
  return new MessageWriter()
    .char('B')
    .uint64(commitLsn)
    .uint64(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS)
    .uint32(xid)
    .done();
}

function commitMessage(commitLsn: bigint, endLsn: bigint): Buffer {
  return new MessageWriter()
    .char('C')
    .byte(0)
    .uint64(commitLsn)
    .uint64(endLsn)
    .uint64(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS)
    .done();
}

/** The WAL of `transactions` × `rows` inserts, as the replication socket would deliver the messages. */
function workload(transactions: number, rows: number): Buffer[] {
  const messages: Buffer[] = [];
  let id = 1;
  let lsn = 0x1_0000_0000n;
  for (let t = 0; t < transactions; t++) {
    const commitLsn = lsn + BigInt(rows * 400);
    messages.push(beginMessage(commitLsn, 1000 + t));
    if (t === 0) messages.push(relationMessage());
    for (let r = 0; r < rows; r++) messages.push(insertMessage(id++));
    messages.push(commitMessage(commitLsn, commitLsn + 48n));
    lsn = commitLsn + 100n;
  }
  return messages;
}

/** What the benchmark reads of the session's private state (no public API for it). */
interface SessionInternals {
  stream: { isPaused: boolean; resume(): void };
  inFlight: unknown[];
  receive(message: PgoutputMessage): void;
  flush(): void;
  settled(): Promise<void>;
}

interface RunResult {
  events: number;
  cpuMicrosPerEvent: number;
  eventsPerSecond: number;
  peakAppendsInFlight: number;
  rssMiB: number;
}

async function runOnce(pool: Pool, transactions: number, rows: number, batchSize: number): Promise<RunResult> {
  const redis = connectRedis({ url: redisUrl() });
  const keys = new LogKeys(uniqueName('bench_hot'));
  const partitions = 8;
  const appender = new LogAppender(redis, keys, partitions);
  const messages = workload(transactions, rows);
  let confirmed = 0n;
  const session = new ReplicationSession(
    { batchSize, toastScan: 2000, startLsn: 0n, holdBackMs: 0 },
    {
      log: new ChangeLog(redis, keys, partitions),
      appender,
      pool,
      types: new TypeResolver(pool),
      primaryKeyOf: () => Promise.resolve(['id']),
      rowCache: new RowCache(10_000),
      logger: createLogger('hot-path', 'warn'),
      openStream: (handlers) => new WalStream({ url: pgUrl(), slot: 'unused', publication: 'unused' }, handlers),
      onConfirmed: (lsn) => {
        confirmed = lsn;
      },
    },
  );
  const internals = session as unknown as SessionInternals;
  // Wait for the session to resume its stream without spinning (a spin would count as CPU here).
  let resumed: (() => void) | undefined;
  const resume = internals.stream.resume.bind(internals.stream);
  internals.stream.resume = () => {
    resume();
    resumed?.();
  };
  const whileRunning = async (): Promise<void> => {
    while (internals.stream.isPaused)
      await new Promise<void>((done) => {
        resumed = done;
      });
  };
  // The Relation message resolves types over the pool: do it before timing.
  internals.receive(parsePgoutput(messages[0]));
  internals.receive(parsePgoutput(messages[1]));
  await whileRunning();
  let peakInFlight = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 2; i < messages.length; i++) {
    await whileRunning();
    internals.receive(parsePgoutput(messages[i]));
    peakInFlight = Math.max(peakInFlight, internals.inFlight.length);
    // let replies in now and then, as a socket read boundary would
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  internals.flush();
  await internals.settled();
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const events = transactions * rows;
  if (confirmed === 0n) throw new Error('nothing was confirmed');
  for (let p = 0; p < partitions; p++) await redis.del(keys.partition(p));
  await redis.del(keys.transactions());
  redis.disconnect();
  return {
    events,
    cpuMicrosPerEvent: Math.round(((used.user + used.system) / events) * 10) / 10,
    eventsPerSecond: Math.round(events / seconds),
    peakAppendsInFlight: peakInFlight,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

async function main(): Promise<void> {
  const transactions = option('transactions', 100);
  const rows = option('rows', 500);
  const batchSize = option('batch', 1000);
  const repeat = option('repeat', 3);
  const pool = new Pool({ connectionString: pgUrl(), max: 2 });
  try {
    for (let i = 0; i < repeat; i++) {
      const result = await runOnce(pool, transactions, rows, batchSize);
      const load = (await import('node:os')).loadavg()[0].toFixed(1);
      process.stdout.write(`${JSON.stringify({ run: i + 1, ...result, load })}\n`);
    }
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
