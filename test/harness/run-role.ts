/**
 * Child-process entry the harness starts: exactly `distributary <args>` (apps/cli main), after
 * wiring any sink kind the worker does not wire yet (see sink-wiring.ts). Prints which kinds it wired
 * on stderr so a run's log says so.
 */
import { loadConfig } from '@distributary/config';
import { main } from '../../apps/cli/src/main';
import { wireMissingSinks } from './sink-wiring';

const configIndex = process.argv.indexOf('--config');
const configFile = configIndex >= 0 ? process.argv[configIndex + 1] : undefined;
if (configFile && process.argv.includes('worker')) {
  const wired = wireMissingSinks(loadConfig(configFile).source.postgres.url);
  if (wired.length)
    process.stderr.write(`harness: wired sink kinds not yet wired by the worker: ${wired.join(', ')}\n`);
}
void main(process.argv).then((code) => {
  process.exitCode = code;
});
