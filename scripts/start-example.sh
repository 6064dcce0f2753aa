#!/usr/bin/env bash
# npm start: the example shop pipeline on the local stack — brings the stack up, loads the shop
# database (idempotent), then runs connector, sink workers and admin in one process until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/stack.sh up
npx tsx examples/shop/load.ts
cat <<'TXT'

Distributary example pipeline (examples/shop/distributary.yaml) — where to look:
  Dashboard      http://127.0.0.1:8080   (token: shop-local-operator-token)
  Elasticsearch  curl -s '127.0.0.1:19200/shop-products/_search?q=category.name:*&size=3&pretty'
  Redis cache    redis-cli -p 16379 -n 1 GET product:1
  Query cache    redis-cli -p 16379 -n 1 ZRANGE category:1:cheapest 0 9 WITHSCORES
  View           psql postgres://postgres@127.0.0.1:15432/shop -c 'TABLE analytics.sales_by_category'
  Status         npm run distributary -- status --config examples/shop/distributary.yaml
  Verify         npm run distributary -- verify --config examples/shop/distributary.yaml
  Live writes    npx tsx examples/shop/writer.ts      (in another terminal)

TXT
exec node --import tsx apps/cli/src/main.ts run --config examples/shop/distributary.yaml
