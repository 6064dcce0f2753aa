import { Option } from 'commander';
import { CONFIG_ENV, loadConfig, resolveConfigPath, type DistributaryConfig } from '@distributary/config';

/** `--config <file>`: default env DISTRIBUTARY_CONFIG, then ./distributary.yaml. */
export function configOption(): Option {
  return new Option('-c, --config <file>', `configuration file (default: $${CONFIG_ENV}, then ./distributary.yaml)`);
}

export interface ConfigOptions {
  config?: string;
}

export function configPath(options: ConfigOptions): string {
  return resolveConfigPath(options.config);
}

export function loadConfigFrom(options: ConfigOptions): { file: string; config: DistributaryConfig } {
  const file = configPath(options);
  return { file, config: loadConfig(file) };
}
