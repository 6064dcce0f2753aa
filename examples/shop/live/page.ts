/**
 * The live page's script (bundled by server.ts with esbuild): the products of one category, kept
 * up to date by useLiveQuery from @distributary/client/react. The token comes from the example's
 * backend (/api/token), which mints one for exactly this category; `#token=<jwt>` uses a token of
 * your own instead (e.g. from `distributary token issue`), which is not renewed when it expires.
 */
import { createElement as h, useMemo } from 'react';
import { createRoot } from 'react-dom/client';
import { useLiveQuery } from '@distributary/client/react';

interface Product extends Record<string, unknown> {
  id: number;
  category_id: number;
  name: string;
  price: string;
  stock: number;
  status: string;
}

const gatewayUrl = document.body.dataset.gatewayUrl ?? '';
const category = new URLSearchParams(location.search).get('category') ?? '1';
const ownToken = new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;

async function getToken(): Promise<string> {
  const response = await fetch(`/api/token?category=${encodeURIComponent(category)}`);
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

function App() {
  const live = useLiveQuery<Product>(
    'products-by-category',
    { category },
    ownToken ? { gatewayUrl, token: ownToken } : { gatewayUrl, getToken },
  );
  const rows = useMemo(() => [...live.rows].sort((a, b) => a.id - b.id), [live.rows]);
  return h(
    'main',
    { 'data-ready': String(live.ready), 'data-last-event-id': live.lastEventId ?? '' },
    h('h1', null, `Category ${category}: products, live`),
    h(
      'div',
      { className: 'bar' },
      h('span', { className: 'status', 'data-testid': 'status', 'data-status': live.status }, live.status),
      h('span', { 'data-testid': 'count' }, `${rows.length} products`),
      h('span', null, `gateway ${gatewayUrl}`),
    ),
    live.error && h('p', { className: 'error', role: 'alert', 'data-testid': 'error' }, live.error.message),
    h(
      'table',
      null,
      h('thead', null, h('tr', null, ...['id', 'name', 'price', 'stock', 'status'].map((c) => h('th', { key: c }, c)))),
      h(
        'tbody',
        null,
        rows.map((p) =>
          h(
            'tr',
            { key: `${p.id} ${p.price} ${p.stock} ${p.name}`, className: 'changed', 'data-testid': 'product' },
            h('td', { className: 'num', 'data-col': 'id' }, String(p.id)),
            h('td', { 'data-col': 'name' }, p.name),
            h('td', { className: 'num', 'data-col': 'price' }, p.price),
            h('td', { className: 'num', 'data-col': 'stock' }, String(p.stock)),
            h('td', { 'data-col': 'status' }, p.status),
          ),
        ),
      ),
    ),
  );
}

createRoot(document.getElementById('root')!).render(h(App));
