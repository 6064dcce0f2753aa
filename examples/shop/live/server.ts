/**
 * The shop's live page and the backend endpoint that mints its tokens. The browser then talks to the
 * Distributary gateway directly (this server never proxies the stream):
 *
 *   GET /                     the page (?category=3 picks the category)
 *   GET /live.js              its script (page.ts, bundled with esbuild at start-up)
 *   GET /api/token?category=3 a valet-key token for `products-by-category` with exactly that category
 *
 *   npx tsx examples/shop/live/server.ts     (npm start runs it; LIVE_PORT, default 8091)
 *
 * A real backend would check that its signed-in user may see the category before minting.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { issueToken } from '@distributary/client/server';
import { loadConfig, type DistributaryConfig } from '@distributary/config';

export const SUBSCRIPTION = 'products-by-category';
const ROOT = resolve(__dirname, '..', '..', '..');

export interface LivePageOptions {
  config: DistributaryConfig;
  /** Default 8091; 0 = any free port. */
  port?: number;
  host?: string;
  /** How long a minted token lives (seconds or a duration such as '2m'; default 2 minutes). */
  tokenTtl?: number | string;
  /** The gateway's URL as the browser sees it (default: http://<gateway.host>:<gateway.port>). */
  gatewayUrl?: string;
}

export interface LivePage {
  url: string;
  gatewayUrl: string;
  close(): Promise<void>;
}

/** The page's script: page.ts and what it imports (React, @distributary/client), for browsers. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, 'page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    tsconfig: join(ROOT, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c] as string);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

export async function startLivePage(options: LivePageOptions): Promise<LivePage> {
  const { config } = options;
  const key = config.gateway?.keys[0];
  if (!key || !config.subscriptions?.some((s) => s.name === SUBSCRIPTION))
    throw new Error(`the configuration needs gateway.keys and the subscription "${SUBSCRIPTION}"`);
  const gatewayUrl = options.gatewayUrl ?? `http://${config.gateway!.host}:${config.gateway!.port}`;
  const html = readFileSync(join(__dirname, 'index.html'), 'utf8').replace(
    '__GATEWAY_URL__',
    escapeAttribute(gatewayUrl),
  );
  const script = await bundle();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://live');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', html);
    if (url.pathname === '/live.js') return send(res, 200, 'text/javascript; charset=utf-8', script);
    if (url.pathname === '/api/token') {
      const category = url.searchParams.get('category') ?? '';
      if (!/^[1-9][0-9]{0,8}$/.test(category))
        return send(res, 400, 'application/json', JSON.stringify({ error: 'category: a positive integer' }));
      const token = await issueToken({
        subscription: SUBSCRIPTION,
        params: { category },
        ttl: options.tokenTtl ?? '2m',
        key,
      });
      return send(res, 200, 'application/json', JSON.stringify({ token }));
    }
    return send(res, 404, 'text/plain', 'not found');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, 'text/plain', error.message));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8091, options.host ?? '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    gatewayUrl,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** npm start runs this in the background, then execs the pipeline: its parent. Leave with it. */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}

if (require.main === module) {
  if (process.env.LIVE_EXIT_WITH_PARENT === '1') exitWithParent();
  const config = loadConfig(process.env.LIVE_CONFIG ?? join(__dirname, '..', 'distributary.yaml'));
  startLivePage({ config, port: Number(process.env.LIVE_PORT ?? 8091), tokenTtl: process.env.LIVE_TOKEN_TTL }).then(
    (page) => console.log(`live page on ${page.url}/?category=1 (gateway ${page.gatewayUrl})`),
    (error: Error) => {
      console.error(`live page failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
