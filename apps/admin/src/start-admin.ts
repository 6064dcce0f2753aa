import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { DistributaryConfig } from '@distributary/config';
import { createLogger } from '@distributary/observability';
import { ADMIN_SETTINGS, type AdminOptions, type AdminSettings } from './admin-settings';
import { AdminModule } from './admin.module';
import { presentedToken, TOKEN_COOKIE } from './auth/request-token';
import { TokenStore } from './auth/token-store';
import { AdminBackend } from './backend/admin-backend';

export interface RunningAdmin {
  app: NestExpressApplication;
  port: number;
  url: string;
  backend: AdminBackend;
  close(): Promise<void>;
}

/** The OpenAPI document and Swagger UI. Like every /api route they need a token: the bearer header,
 *  or (GET only) the cookie the dashboard sets — so the docs open in the browser after login. */
function mountDocs(app: NestExpressApplication, tokens: TokenStore): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Distributary admin API')
      .setDescription(
        'State and control of a Distributary pipeline. Every /api route needs `Authorization: Bearer <token>`; ' +
          'viewer tokens may read, operator tokens may also change state. Server-sent events and the docs ' +
          `also accept the \`${TOKEN_COOKIE}\` cookie (GET only).`,
      )
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth(TOKEN_COOKIE)
      .build(),
  );
  app.use(['/api/docs', '/api/openapi.json'], (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (tokens.roleOf(presentedToken(req))) return next();
    res.statusCode = 401;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ statusCode: 401, message: 'a valid bearer token is required', error: 'Unauthorized' }));
  });
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json', raw: ['json'] });
}

/** Starts the admin API. Signals are the caller's business (main.ts, the CLI): close() stops it. */
export async function startAdmin(config: DistributaryConfig, options: AdminOptions = {}): Promise<RunningAdmin> {
  const logger = createLogger('admin');
  const app = await NestFactory.create<NestExpressApplication>(AdminModule.forConfig(config, options), {
    logger: ['error', 'warn'],
  });
  const settings = app.get<AdminSettings>(ADMIN_SETTINGS);
  mountDocs(app, app.get(TokenStore));
  if (settings.dashboardDir && existsSync(settings.dashboardDir)) {
    app.useStaticAssets(settings.dashboardDir, { index: 'index.html' });
  } else {
    logger.warn({ dashboardDir: settings.dashboardDir }, 'dashboard build not found: run `npm run dashboard:build`');
  }
  const host = config.admin?.host ?? '0.0.0.0';
  await app.listen(options.port ?? config.admin?.port ?? 8080, host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url }, 'admin API listening');
  return { app, port, url, backend: app.get(AdminBackend), close: () => app.close() };
}
