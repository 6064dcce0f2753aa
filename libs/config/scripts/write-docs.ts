/** npm run config:docs — writes docs/configuration.md, the configuration reference, from the schema. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { configDocsFile, repoRoot } from './generated-files';

void configDocsFile().then((file) => {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.content);
  console.log(`wrote ${relative(repoRoot, file.path)}`);
});
