/** Redaction sees row data and request input: adversarial megabytes must cost linear time (each case
 * finishes well within the runner's default timeout; no timing assertion). */
import { afterEach, describe, expect, it } from 'vitest';
import {
  clearRegisteredSecrets,
  createLogger,
  redactSecretParams,
  redactSecrets,
  redactUrl,
  redactUserInfo,
  registerSecrets,
} from '@distributary/observability';

afterEach(() => clearRegisteredSecrets());

const MB = 1024 * 1024;
const adversarial: Record<string, string> = {
  'scheme characters': `x://${'a'.repeat(5 * MB)}`,
  'scheme run without ://': 'a+.-'.repeat(2.5 * MB),
  'many :// separators': 'a://'.repeat(2.5 * MB),
  'user-info without @': `postgres://${'u:'.repeat(2.5 * MB)}`,
  'many @ signs': `redis://u:${'@'.repeat(5 * MB)}`,
  'password= repeated': 'password='.repeat(MB),
  'password= with a long value': `password=${'x'.repeat(10 * MB)}`,
  'dollar braces': '${'.repeat(2.5 * MB),
};

describe('redaction is linear in its input', () => {
  for (const [name, text] of Object.entries(adversarial)) {
    it(`handles ${(text.length / MB).toFixed(1)} MB of ${name}`, () => {
      registerSecrets(['known-secret-1', 'another-known-secret']);
      expect(redactUrl(text).length).toBeGreaterThan(0);
      expect(redactUserInfo(text).length).toBeGreaterThan(0);
      expect(redactSecretParams(text).length).toBeGreaterThan(0);
      expect(JSON.stringify(redactSecrets({ row: { body: text }, [text.slice(0, 1000)]: 1 })).length).toBeGreaterThan(
        0,
      );
      const lines: string[] = [];
      createLogger('t', 'info', { write: (line: string) => void lines.push(line) }).info({ body: text }, text);
      expect(lines).toHaveLength(1);
    });
  }
});
