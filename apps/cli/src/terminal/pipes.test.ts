import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli';
import { useColour } from './colour';

const dir = mkdtempSync(join(tmpdir(), 'distributary-pipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid configuration whose `validate --json` output is several times a pipe's 64 KiB buffer. */
function largeConfig(sinks: number): string {
  const lines = [
    'source:',
    '  postgres: { url: "postgres://app@127.0.0.1:15432/shop" }',
    '  tables: [public.products]',
    'log:',
    '  redis: { url: "redis://127.0.0.1:16379" }',
    '  partitions: 4',
    'admin:',
    '  tokens: [{ token: "${PIPES_OPERATOR_TOKEN}", role: operator }]',
    'sinks:',
  ];
  for (let n = 0; n < sinks; n += 1) {
    lines.push(
      `  - name: search-${n}`,
      `    elasticsearch: { url: "http://127.0.0.1:19200", index: "products-${n}" }`,
      '    from: public.products',
      `    id: "{id}"`,
      `    document: { name: name, description: description, price: { expr: "$number(price)" } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('CLI output through pipes', () => {
  it('writes all of a large --json result before exiting (no cut at 64 KiB)', async () => {
    const file = join(dir, 'large.yaml');
    writeFileSync(file, largeConfig(600));
    // execFile reads the child's stdout through a pipe, as `distributary … | jq` would.
    const result = await runCli(['validate', '--json', '--config', file], {
      PIPES_OPERATOR_TOKEN: 'pipes-operator-token-1',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(4 * 65_536);
    const parsed = JSON.parse(result.stdout) as { sinks: { name: string }[] };
    expect(parsed.sinks).toHaveLength(600);
    expect(parsed.sinks.at(-1)?.name).toBe('search-599');
  });

  it('colours only a terminal, and follows NO_COLOR and FORCE_COLOR', () => {
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColour({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('prints no colour codes into a pipe', async () => {
    const result = await runCli(['status', '--help']);
    expect(result.stdout).not.toContain('\u001b[');
  });
});
