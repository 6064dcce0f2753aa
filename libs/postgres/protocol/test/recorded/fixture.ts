import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePgoutput } from '../../src/pgoutput-parser';
import type { PgoutputMessage } from '../../src/pgoutput-messages';
import type { RecordedFixture, RecordedMessage } from './scenarios';

/** pgoutput-recorded.json, as record-pgoutput.ts wrote it. */
export const recorded: RecordedFixture = JSON.parse(
  readFileSync(resolve(__dirname, 'pgoutput-recorded.json'), 'utf8'),
) as RecordedFixture;

export function recordedMessages(scenario: string): RecordedMessage[] {
  const found = recorded.scenarios[scenario];
  if (!found) throw new Error(`no recorded scenario '${scenario}'`);
  return found.messages;
}

export function bytesOf(message: RecordedMessage): Buffer {
  return Buffer.from(message.hex, 'hex');
}

export function parsedScenario(scenario: string): PgoutputMessage[] {
  return recordedMessages(scenario).map((m) => parsePgoutput(bytesOf(m)));
}
