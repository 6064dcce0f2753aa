import type { SubscribeOptions } from './subscribe-options';

/**
 * A subscription's token: the one given, or one minted by getToken() (the application's backend)
 * first and again whenever the gateway says it expired or refuses a token that is not brand new.
 */
export class TokenSource {
  private token: string | undefined;
  /** The token came from getToken for this attempt and was not accepted yet. */
  private fresh = false;

  constructor(private readonly options: Pick<SubscribeOptions, 'token' | 'getToken'>) {
    if (!options.token && !options.getToken) throw new TypeError('subscribe() needs a token or getToken');
    this.token = options.token;
  }

  /** A new token can be minted (getToken was given). */
  get renewable(): boolean {
    return Boolean(this.options.getToken);
  }

  /** The token to connect with, minted when there is none. */
  async current(): Promise<string> {
    if (this.token) return this.token;
    const token = await this.options.getToken!();
    if (typeof token !== 'string' || !token) throw new Error('getToken returned no token');
    this.token = token;
    this.fresh = true;
    return token;
  }

  /** The gateway accepted the token (the stream opened). */
  accepted(): void {
    this.fresh = false;
  }

  /** The token expired: the next connection mints another. */
  expire(): void {
    this.token = undefined;
  }

  /** A refused token that is not brand new may just have expired since: true when another is to be minted (once). */
  retryRefused(): boolean {
    if (!this.options.getToken || this.fresh) return false;
    this.token = undefined;
    return true;
  }
}
