-- Deterministic seed data: 12 categories, 400 products (two in three with a description > 4 kB),
-- 500 customers, 4000 orders. Every value is a function of the row number; re-running inserts nothing.

INSERT INTO public.categories (id, name, slug, updated_at)
SELECT c.id, c.name, lower(replace(c.name, ' ', '-')), timestamptz '2026-01-01 00:00:00+00'
  FROM (VALUES (1, 'Books'), (2, 'Music'), (3, 'Garden'), (4, 'Kitchen'), (5, 'Toys'), (6, 'Sports'),
               (7, 'Outdoor'), (8, 'Office'), (9, 'Electronics'), (10, 'Health'), (11, 'Pets'), (12, 'Tools'))
       AS c (id, name)
ON CONFLICT (id) DO NOTHING;

INSERT INTO public.products (id, category_id, name, description, price, stock, status, updated_at)
SELECT i,
       1 + (i * 7) % 12,
       initcap((ARRAY['red', 'blue', 'green', 'small', 'large', 'classic', 'modern', 'solid'])[1 + i % 8]) || ' ' ||
         (ARRAY['lamp', 'chair', 'kettle', 'ball', 'novel', 'record', 'shovel', 'stapler', 'leash', 'drill'])[1 + (i / 8) % 10] ||
         ' #' || i,
       CASE WHEN i % 3 = 0
            THEN 'A short description of product ' || i || '.'
            -- 128 distinct md5 strings: about 4.2 kB of incompressible text.
            ELSE 'Product ' || i || ' in detail. ' ||
                 (SELECT string_agg(md5(i || ':' || g), ' ') FROM generate_series(1, 128) AS g)
       END,
       round((1 + (i * 7919) % 50000 / 100.0)::numeric, 2),
       (i * 31) % 200,
       CASE WHEN i % 50 = 0 THEN 'discontinued' WHEN i % 17 = 0 THEN 'hidden' ELSE 'active' END,
       timestamptz '2026-01-01 00:00:00+00' + make_interval(mins => i)
  FROM generate_series(1, 400) AS i
ON CONFLICT (id) DO NOTHING;

INSERT INTO public.customers (id, name, email, created_at)
SELECT i, 'Customer ' || i, 'customer' || i || '@example.com', timestamptz '2026-01-01 00:00:00+00' + make_interval(hours => i)
  FROM generate_series(1, 500) AS i
ON CONFLICT (id) DO NOTHING;

INSERT INTO public.orders (id, customer_id, product_id, quantity, amount, created_at)
SELECT o.id, o.customer_id, o.product_id, o.quantity, o.quantity * p.price, o.created_at
  FROM (SELECT i AS id,
               1 + (i * 13) % 500 AS customer_id,
               1 + (i * 37) % 400 AS product_id,
               1 + i % 4 AS quantity,
               timestamptz '2026-02-01 00:00:00+00' + make_interval(mins => i * 3) AS created_at
          FROM generate_series(1, 4000) AS i) AS o
  JOIN public.products AS p ON p.id = o.product_id
ON CONFLICT (id) DO NOTHING;
