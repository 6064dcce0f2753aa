-- The example shop: the system of record that Distributary keeps Elasticsearch, Redis and a
-- Postgres aggregate in step with. Idempotent: safe to run again.

CREATE TABLE IF NOT EXISTS public.categories (
  id         integer PRIMARY KEY,
  name       text NOT NULL,
  slug       text NOT NULL UNIQUE,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.products (
  id          integer PRIMARY KEY,
  category_id integer NOT NULL REFERENCES public.categories (id),
  name        text NOT NULL,
  -- Often longer than 4 kB: stored out of line (TOAST), so updates that leave it unchanged
  -- exercise the connector's TOAST fill.
  description text NOT NULL,
  price       numeric(10, 2) NOT NULL CHECK (price >= 0),
  stock       integer NOT NULL DEFAULT 0,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'hidden', 'discontinued')),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- EXTERNAL: out of line and uncompressed, so long descriptions are always TOASTed.
ALTER TABLE public.products ALTER COLUMN description SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS products_category_id ON public.products (category_id);

CREATE TABLE IF NOT EXISTS public.customers (
  id         integer PRIMARY KEY,
  name       text NOT NULL,
  email      text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.orders (
  id          bigint PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES public.customers (id),
  product_id  integer NOT NULL REFERENCES public.products (id),
  quantity    integer NOT NULL CHECK (quantity > 0),
  amount      numeric(12, 2) NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_product_id ON public.orders (product_id);

-- Where the sales-by-category view is maintained.
CREATE SCHEMA IF NOT EXISTS analytics;
