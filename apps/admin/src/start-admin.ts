import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { DistributaryConfig } from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { ADMIN_SETTINGS, type AdminOptions, type AdminSettings } from './admin-settings';
import { AdminModule } from './admin.module';
import { Authenticator } from './auth/authenticator';
import { TOKEN_COOKIE } from './auth/request-token';
import { harden } from './http/harden';
import { PipelineStatus } from './backend/pipeline-status';

export interface RunningAdmin {
  app: NestExpressApplication;
  port: number;
  url: string;
  status: PipelineStatus;
  close(): Promise<void>;
}

/** The OpenAPI document and Swagger UI. Like every /api route they need a token: the bearer header,
 *  or (GET only) the cookie the dashboard sets — so the docs open in the browser after login. Wrong
 *  tokens count toward the same failure limit. */
function mountDocs(app: NestExpressApplication, auth: Authenticator): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Distributary admin API')
      .setDescription(
        'State and control of a Distributary pipeline. Every /api route needs `Authorization: Bearer <token>`; ' +
          'viewer tokens may read, operator tokens may also change state. Server-sent events and the docs ' +
          `also accept the \`${TOKEN_COOKIE}\` cookie (GET only); no other route does. Bodies are JSON only ` +
          '(415 otherwise), at most 64 kB (413).',
      )
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth(TOKEN_COOKIE)
      .build(),
  );
  app.use(['/api/docs', '/api/openapi.json'], (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    try {
      auth.authenticate(req, { cookie: true });
      return next();
    } catch (error) {
      const status = error instanceof HttpException ? error.getStatus() : 401;
      const body = error instanceof HttpException ? error.getResponse() : { statusCode: 401 };
      const retry = (body as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retry) res.setHeader('Retry-After', String(retry));
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    }
  });
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json', raw: ['json'] });
}

/** Starts the admin API. Signals are the caller's business (main.ts, the CLI): close() stops it. */
export async function startAdmin(config: DistributaryConfig, options: AdminOptions = {}): Promise<RunningAdmin> {
  const logger = createLogger('admin');
  const app = await NestFactory.create<NestExpressApplication>(AdminModule.forConfig(config, options), {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  const settings = app.get<AdminSettings>(ADMIN_SETTINGS);
  harden(app);
  mountDocs(app, app.get(Authenticator));
  if (settings.dashboardDir && existsSync(settings.dashboardDir)) {
    app.useStaticAssets(settings.dashboardDir, { index: 'index.html' });
  } else {
    logger.warn({ dashboardDir: settings.dashboardDir }, 'dashboard build not found: run `npm run dashboard:build`');
  }
  const host = config.admin?.host ?? '127.0.0.1';
  await app.listen(options.port ?? config.admin?.port ?? 8080, host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
  logger.info({ url }, 'admin API listening');
  return { app, port, url, status: app.get(PipelineStatus), close: () => app.close() };
}
