/** The files generated from the configuration schema, formatted as the repository formats them. */
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { configJsonSchema, renderConfigDocs } from '../src';

export const repoRoot = resolve(__dirname, '../../..');

export interface GeneratedFile {
  path: string;
  content: string;
}

async function formatted(path: string, text: string): Promise<GeneratedFile> {
  const options = (await resolveConfig(path)) ?? {};
  return { path, content: await format(text, { ...options, filepath: path }) };
}

export function configSchemaFile(): Promise<GeneratedFile> {
  return formatted(resolve(repoRoot, 'config.schema.json'), JSON.stringify(configJsonSchema(), null, 2));
}

export function configDocsFile(): Promise<GeneratedFile> {
  return formatted(resolve(repoRoot, 'docs/configuration.md'), renderConfigDocs());
}
