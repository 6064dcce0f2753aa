/**
 * PGSync's Elasticsearch client checks the cluster with `GET /` first (product check). The integ-test
 * distribution the local stack unpacks lacks the rest-root module that answers it; `npm run setup`
 * installs a small replacement (scripts/es-root). When `GET /` still fails, this proxy stands in front
 * of Elasticsearch: it answers `GET /` and `HEAD /` with the cluster info built from `GET /_nodes/_local`
 * and forwards everything else unchanged.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** True when Elasticsearch answers `GET /` as a client's product check expects. */
export async function hasRestRoot(esUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${esUrl}/`);
    return response.ok && response.headers.get('x-elastic-product') === 'Elasticsearch';
  } catch {
    return false;
  }
}

async function clusterInfo(esUrl: string): Promise<string> {
  const response = await fetch(`${esUrl}/_nodes/_local?filter_path=cluster_name,nodes.*.name,nodes.*.version`);
  const body = (await response.json()) as {
    cluster_name: string;
    nodes: Record<string, { name: string; version: string }>;
  };
  const node = Object.values(body.nodes)[0];
  return JSON.stringify({
    name: node?.name ?? 'node',
    cluster_name: body.cluster_name,
    version: {
      number: node?.version ?? '8.0.0',
      build_flavor: 'default',
      minimum_wire_compatibility_version: '7.17.0',
    },
    tagline: 'You Know, for Search',
  });
}

export interface RootProxy {
  url: string;
  close(): Promise<void>;
}

/** Starts the proxy on a free local port in front of `esUrl`. */
export async function startRootProxy(esUrl: string): Promise<RootProxy> {
  const target = new URL(esUrl);
  const info = await clusterInfo(esUrl);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(req.method === 'GET' ? info : undefined);
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
