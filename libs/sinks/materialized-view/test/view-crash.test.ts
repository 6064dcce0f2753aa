import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_ID, compareIds } from '@distributary/core';
import { type TestDatabase, createTestDatabase, uniqueName, waitFor } from '@distributary/testkit';
import { createMaterializedViewSink } from '@distributary/sink-materialized-view';
import { queryRows, viewConfig, viewRows } from './helpers';
import { type WorkloadOp, buildWorkload, deliveries } from './workload';

const VIEW = `SELECT p.category_id AS category, count(*) AS n, sum(o.amount) AS revenue, min(o.amount) AS lo
  FROM public.orders o JOIN public.products p ON o.product_id = p.id GROUP BY p.category_id`;
const repoRoot = resolve(__dirname, '../../../..');

let source: TestDatabase;
let target: TestDatabase;
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(async () => {
  source = await createTestDatabase('mvc_src');
  target = await createTestDatabase('mvc_tgt');
  await source.sql(`
    CREATE TABLE public.products (id int PRIMARY KEY, category_id int, price numeric(10,2));
    CREATE TABLE public.orders (id int PRIMARY KEY, product_id int, amount numeric(12,2), qty int, status text)`);
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await target?.drop();
  await source?.drop();
});

function workloadOps(): WorkloadOp[] {
  const ops: WorkloadOp[] = [];
  for (let i = 1; i <= 4; i++) ops.push({ kind: 'product', id: i, categoryId: (i % 2) + 1, price: `${i}.00` });
  for (let i = 1; i <= 12; i++)
    ops.push({ kind: 'order', id: i, productId: (i % 4) + 1, amount: `${i}.25`, qty: i, status: 'paid' });
  ops.push({ kind: 'product', id: 2, categoryId: 1, price: '2.00' });
  ops.push({ kind: 'delete-order', id: 3 });
  for (let i = 5; i <= 12; i += 2)
    ops.push({ kind: 'order', id: i, productId: 1, amount: `${i * 3}.50`, qty: i, status: 'paid' });
  ops.push({ kind: 'delete-product', id: 4 });
  return ops;
}

function lines(stream: NodeJS.ReadableStream): { next(expected: string): Promise<void>; text(): string } {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => (buffer += chunk.toString()));
  return {
    next: async (expected) => {
      await waitFor(`child to print ${expected}`, async () => buffer.includes(`${expected}\n`), { timeoutMs: 60_000 });
    },
    text: () => buffer,
  };
}

describe('kill -9 of the applier mid-transaction', () => {
  it('leaves neither the batch nor its position, and re-applying from the stored positions is exact', async () => {
    const workload = buildWorkload(workloadOps());
    await source.sql(workload.sql.join(';\n'));
    const plan = deliveries(workload.events, 2, [3, 1, 4, 1, 5, 9, 2, 6]);
    // Kill during the first delivery (not a redelivery) of a batch with orders, past the middle.
    const committed = plan.findIndex(
      (batch, index) =>
        index >= plan.length / 2 &&
        plan.indexOf(batch) === index &&
        batch.events.some((e) => e.table === 'public.orders' && e.op !== 'd'),
    );
    expect(committed).toBeGreaterThan(0);
    const appName = uniqueName('mvcrash');
    const config = viewConfig(target, VIEW);
    const childConfig = { ...config, view: { ...config.view, postgres: `${target.url}?application_name=${appName}` } };
    const serialised = plan.map((b) => ({
      ...b,
      events: b.events.map((e) => ({ ...e, pos: { lsn: e.pos.lsn.toString(), seq: e.pos.seq } })),
    }));

    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(__dirname, 'crash-applier.ts'),
        JSON.stringify({ config: childConfig, sourceUrl: source.url, committed, batches: serialised }),
      ],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const output = lines(child.stdout);
    await output.next('ready').catch((error: unknown) => {
      throw new Error(`${String(error)}; child stderr: ${stderr}`);
    });

    // Block the next batch inside its transaction (after it changed the state tables), then kill it.
    const blocker = new Client({ connectionString: target.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE ${config.view.table} IN ACCESS EXCLUSIVE MODE`);
      child.stdin.write('go\n');
      await waitFor('the applier to block inside its transaction', async () => {
        if (child?.exitCode !== null) throw new Error(`applier exited early: ${stderr}`);
        // Polled from fresh connections: inside the blocker's transaction pg_stat_activity is a frozen snapshot.
        const rows = await target.sql(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND xact_start IS NOT NULL`,
          [appName],
        );
        return rows.length > 0;
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; applier stderr: ${stderr}`);
      });
      const exited = new Promise((done) => child?.once('exit', done));
      child.kill('SIGKILL');
      await exited;
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(child.signalCode).toBe('SIGKILL');
    expect(output.text()).toBe('ready\n');

    // A new applier resumes from the positions stored in the target, like the worker does.
    const sink = await createMaterializedViewSink(config, { sourceUrl: source.url });
    await sink.open();
    try {
      const stored = await sink.storedPositions();
      const killed = plan[committed];
      const lastCommittedOfPartition = plan
        .slice(0, committed)
        .filter((b) => b.partition === killed.partition)
        .reduce((id, b) => (compareIds(b.lastId, id) > 0 ? b.lastId : id), START_ID);
      expect(stored.get(killed.partition) ?? START_ID).toBe(lastCommittedOfPartition);
      for (const batch of plan) {
        if (compareIds(batch.lastId, stored.get(batch.partition) ?? START_ID) <= 0) continue;
        await sink.apply(batch);
      }
      expect(await viewRows(target, config.view.table)).toEqual(await queryRows(source, VIEW));
      expect((await queryRows(source, VIEW)).length).toBeGreaterThan(0);
    } finally {
      await sink.close();
    }
  });
});
