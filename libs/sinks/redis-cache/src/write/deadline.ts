/** Thrown when Redis gave no reply in time (e.g. a cluster client queuing commands while every node is down). */
export class CommandTimeoutError extends Error {
  override readonly name = 'CommandTimeoutError';
}

/**
 * Bounds a Redis call. A command that outlives its deadline may still run later; that is safe here
 * because every write is a compare-and-set on its version, so any interleaving converges.
 */
export async function withDeadline<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandTimeoutError(`${what}: no reply within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
