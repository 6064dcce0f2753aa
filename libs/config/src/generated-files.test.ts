import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDocsFile, configSchemaFile } from '../scripts/generated-files';

const current = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

describe('files generated from the schema are up to date', () => {
  it('config.schema.json (npm run config:schema)', async () => {
    const file = await configSchemaFile();
    expect(current(file.path), 'config.schema.json is stale: run npm run config:schema').toBe(file.content);
  });

  it('docs/configuration.md (npm run config:docs)', async () => {
    const file = await configDocsFile();
    expect(current(file.path), 'docs/configuration.md is stale: run npm run config:docs').toBe(file.content);
  });

  it('the example references the schema for editors', () => {
    const example = readFileSync(`${__dirname}/../../../examples/shop/distributary.yaml`, 'utf8');
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=../../config.schema.json');
  });
});
