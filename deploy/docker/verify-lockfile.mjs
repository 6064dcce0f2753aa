// Fails the image build when `npm install` moved any locked package to another version. The lockfile
// is installed with `npm install` rather than `npm ci` (see the Dockerfile), so this keeps it exact.
// usage: node verify-lockfile.mjs <lockfile before install> <lockfile after install>
import { readFileSync } from 'node:fs';

const [before, after] = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file, 'utf8')).packages);
const moved = Object.entries(before)
  .filter(([path, locked]) => after[path] && locked.version !== after[path].version)
  .map(([path, locked]) => `${path}: locked ${locked.version}, installed ${after[path].version}`);
if (moved.length > 0) {
  console.error(`npm install changed locked versions:\n  ${moved.join('\n  ')}`);
  process.exit(1);
}
console.log(`lockfile honoured: ${Object.keys(before).length} locked entries unchanged`);
