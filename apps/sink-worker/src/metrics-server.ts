import { createServer, type Server } from 'node:http';
import { health, registry } from '@distributary/observability';

/** GET /metrics (Prometheus), /health/live (process up) and /health/ready (real dependencies);
 *  /healthz and /readyz are kept as aliases. */
export async function startMetricsServer(port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      if (request.url === '/metrics') {
        response.setHeader('content-type', registry.contentType);
        response.end(await registry.metrics());
      } else if (request.url === '/health/live' || request.url === '/healthz') {
        response.end('ok');
      } else if (request.url === '/health/ready' || request.url === '/readyz') {
        const report = await health.report();
        response.statusCode = report.status === 'failing' ? 503 : 200;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(report));
      } else {
        response.statusCode = 404;
        response.end();
      }
    })().catch(() => {
      response.statusCode = 500;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
