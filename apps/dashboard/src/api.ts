/*
 * The admin API from the browser. The token lives in sessionStorage (gone when the tab closes) and,
 * for EventSource which cannot send headers, in a session cookie scoped to /api that the server only
 * honours for GET requests; every state change sends the Authorization header.
 */
const STORAGE_KEY = 'distributary.token';
const COOKIE = 'distributary_token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
  document.cookie = `${COOKIE}=${encodeURIComponent(token)}; path=/api; SameSite=Strict`;
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  document.cookie = `${COOKIE}=; path=/api; SameSite=Strict; max-age=0`;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const token = init.token ?? storedToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message =
      body && typeof body === 'object' && 'message' in body
        ? String((body as { message: unknown }).message)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body as T;
}
