/** Driver messages that mean "a dependency cannot be reached" (they name hosts and ports: never shown). */
export const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|max retries per request|timeout exceeded when trying to connect|Connection terminated|CLUSTERDOWN/i;

export function isUnavailable(message: string): boolean {
  return UNAVAILABLE.test(message.slice(0, 2000));
}
