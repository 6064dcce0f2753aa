/**
 * One Server-Sent Events request over fetch (browsers and Node ≥ 18 alike; unlike EventSource it can
 * send `Authorization` and `Last-Event-ID` itself). Events are parsed by eventsource-parser.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SubscriptionError } from './errors';

export interface SseRequest {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  fetch: typeof fetch;
  /** The stream is given up when nothing (not even a heartbeat) arrives for this long. */
  idleTimeoutMs: number;
  onOpen(): void;
  onEvent(message: EventSourceMessage): void;
}

/** Reads the gateway's JSON error body (`{"error": "..."}`), or a short excerpt of whatever it is. */
async function refusal(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).slice(0, 500);
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON
  }
  return text || response.statusText;
}

/**
 * Resolves when the server ends the stream; rejects with SubscriptionError (status ≠ 0) when it
 * refuses the request, or with the network error / abort reason when the connection is lost.
 */
export async function readSse(request: SseRequest): Promise<void> {
  // Aborted by the caller (close, offline) or by the idle watchdog.
  const controller = new AbortController();
  const signal = controller.signal;
  const forward = () => controller.abort(request.signal.reason);
  if (request.signal.aborted) forward();
  else request.signal.addEventListener('abort', forward, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new SubscriptionError('no data or heartbeat from the gateway', 0, false)),
      request.idleTimeoutMs,
    );
  };
  try {
    touch();
    const response = await request.fetch(request.url, {
      headers: { accept: 'text/event-stream', ...request.headers },
      cache: 'no-store',
      signal,
    });
    if (!response.ok) {
      const reason = await refusal(response);
      throw new SubscriptionError(`${response.status}: ${reason}`, response.status, false);
    }
    if (!response.body) throw new SubscriptionError('the response has no body', 0, false);
    request.onOpen();
    const parser = createParser({ onEvent: (message) => request.onEvent(message) });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const cancel = () => void reader.cancel().catch(() => undefined);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        touch();
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    if (signal.aborted) throw signal.reason;
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    request.signal.removeEventListener('abort', forward);
  }
}
