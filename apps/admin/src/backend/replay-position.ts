import { BadRequestException } from '@nestjs/common';
import { idToPosition, parseLsn, positionToId } from '@distributary/core';

const MAX_SEQ = '18446744073709551615';

/**
 * The committed position a replay resets to; the sink then re-reads every entry after it.
 * 'start' → from the beginning (undefined); an entry ID → after that entry; an LSN → every event
 * committed at or after that LSN. Anything else is a 400.
 */
export function replayPosition(from: string): string | undefined {
  const text = from.trim();
  if (text === 'start') return undefined;
  try {
    if (/^\d+-\d+$/.test(text)) return positionToId(idToPosition(text));
    const lsn = parseLsn(text);
    return lsn === 0n ? undefined : `${lsn - 1n}-${MAX_SEQ}`;
  } catch {
    throw new BadRequestException(
      `"${from}" is not a position: use "start", an entry ID like "23456789-0" or an LSN like "16/B374D848"`,
    );
  }
}
