/** Test support: plain HTTP calls against a running admin API (no client library in between). */
export interface CallOptions {
  token?: string | null;
  method?: string;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: { type?: string; text: string };
  cookie?: string;
}

export interface CallResult {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export async function callApi(baseUrl: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.raw) {
    if (options.raw.type) headers['content-type'] = options.raw.type;
    body = options.raw.text;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const controller = new AbortController();
  const response = await fetch(baseUrl + path, {
    method: options.method ?? 'GET',
    headers,
    body,
    signal: controller.signal,
  });
  // Server-sent events never end: the status and headers are the answer.
  if (response.headers.get('content-type')?.includes('text/event-stream')) {
    controller.abort();
    return { status: response.status, body: undefined, text: '', headers: response.headers };
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}
