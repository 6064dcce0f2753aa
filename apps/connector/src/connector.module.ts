import { Module, type DynamicModule } from '@nestjs/common';
import type { DistributaryConfig } from '@distributary/config';
import { CONNECTOR_CONFIG, ConnectorService } from './connector.service';

/** The connector as a Nest module: `ConnectorModule.forConfig(config)`. */
@Module({})
export class ConnectorModule {
  static forConfig(config: DistributaryConfig): DynamicModule {
    return {
      module: ConnectorModule,
      providers: [{ provide: CONNECTOR_CONFIG, useValue: config }, ConnectorService],
      exports: [ConnectorService],
    };
  }
}
