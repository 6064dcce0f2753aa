export const PREVIEW_STRING = 512;
export const PREVIEW_ITEMS = 50;
export const PREVIEW_DEPTH = 8;
export const PREVIEW_BUDGET = 8 * 1024;

export interface PreviewResult<T> {
  value: T;
  truncated: boolean;
}

/**
 * Row data shown by the API (dead letters, live tail) is cut to a bounded preview: long strings are
 * truncated, long arrays and deep objects summarised, and the whole entry kept under a byte budget,
 * so one TOASTed value cannot make a page huge or slow (and redaction afterwards only sees bounded
 * text). Operators may ask for the full value (`?full=1`). The walk is linear in what it keeps.
 */
export function preview<T>(value: T, budget = PREVIEW_BUDGET): PreviewResult<T> {
  let left = budget;
  let truncated = false;
  const cut = (text: string, max: number): string => {
    const keep = Math.max(0, Math.min(max, left));
    if (text.length <= keep) {
      left -= text.length;
      return text;
    }
    truncated = true;
    left -= keep;
    return `${text.slice(0, keep)}… (${text.length - keep} more characters)`;
  };
  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return cut(node, PREVIEW_STRING);
    if (node === null || typeof node !== 'object') {
      left -= 8;
      return node;
    }
    if (depth >= PREVIEW_DEPTH || left <= 0) {
      truncated = true;
      return Array.isArray(node) ? `[… ${node.length} items]` : '{…}';
    }
    if (Array.isArray(node)) {
      const items = node.slice(0, PREVIEW_ITEMS).map((item) => walk(item, depth + 1));
      if (node.length > PREVIEW_ITEMS) {
        truncated = true;
        items.push(`… ${node.length - PREVIEW_ITEMS} more items`);
      }
      return items;
    }
    const out: Record<string, unknown> = {};
    let n = 0;
    const entries = Object.entries(node as Record<string, unknown>);
    for (const [key, child] of entries) {
      if (n++ >= PREVIEW_ITEMS * 4 || left <= 0) {
        truncated = true;
        out['…'] = `${entries.length - n + 1} more fields`;
        break;
      }
      out[cut(key, 128)] = walk(child, depth + 1);
    }
    return out;
  };
  const value2 = walk(value, 0) as T;
  return { value: value2, truncated };
}
