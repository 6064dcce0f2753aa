/**
 * GET /metrics (Prometheus), /health/live (process up) and /health/ready (real dependencies), with
 * /healthz and /readyz as aliases, for a process that does not run the admin role (which serves them
 * otherwise): `run --only <role>`, the sink worker's main. node:http only, so it loads nothing of the
 * roles. In a group (process-group.ts), /metrics and /health/ready cover every role's process.
 */
import { createServer, type Server } from 'node:http';
import { health } from './health';
import { metricsContentType, metricsText } from './process-group';

export async function startMetricsServer(port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      if (request.url === '/metrics') {
        const body = await metricsText();
        response.setHeader('content-type', metricsContentType);
        response.end(body);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
