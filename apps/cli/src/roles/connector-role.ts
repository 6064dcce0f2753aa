import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConnectorModule, ConnectorService } from '@distributary/connector';
import { roleDescriptions } from './descriptions';
import type { RoleDefinition } from './role';

export const connectorRole: RoleDefinition = {
  name: 'connector',
  description: roleDescriptions.connector,
  start: async (config) => {
    const app = await NestFactory.createApplicationContext(ConnectorModule.forConfig(config), { logger: false });
    const service = app.get(ConnectorService);
    return { stop: () => app.close(), done: service.done() };
  },
};
