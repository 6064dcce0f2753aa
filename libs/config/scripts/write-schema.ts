/** npm run config:schema — writes config.schema.json (for editors) from the zod schema. */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { configSchemaFile, repoRoot } from './generated-files';

void configSchemaFile().then((file) => {
  writeFileSync(file.path, file.content);
  console.log(`wrote ${relative(repoRoot, file.path)}`);
});
