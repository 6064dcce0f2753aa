/**
 * Whether to colour a stream, by the conventions users expect: `NO_COLOR` (any non-empty value) turns
 * colour off, `FORCE_COLOR` (any value but `0`/`false`) turns it on, otherwise only a terminal gets it.
 */
export function useColour(stream: { isTTY?: boolean } = process.stdout, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return stream.isTTY === true;
}
