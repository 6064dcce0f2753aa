/** Why a subscription could not connect or was closed by the gateway. */
export class SubscriptionError extends Error {
  constructor(
    message: string,
    /** HTTP status of a refused connection (401 token, 403 scope, 404 unknown, 400 parameters); 0 otherwise. */
    readonly status: number,
    /** True when the client gave up (no reconnect follows). */
    readonly fatal: boolean,
  ) {
    super(message);
    this.name = 'SubscriptionError';
  }
}
