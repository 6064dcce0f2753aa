#!/usr/bin/env bash
# npm start: the example shop pipeline on the local stack — brings the stack up, loads the shop
# database (idempotent), then runs connector, sink workers, admin and the subscription gateway in one
# process until Ctrl-C, and the live page's small server (examples/shop/live/server.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/stack.sh up
npx tsx examples/shop/load.ts
# Say so when the pipeline's replication slot broke while it was stopped (the connector heals it).
source scripts/env.sh
slot_state=$("$(pg_bin_dir)/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d shop -v slot="${SHOP_SLOT:-shop}" \
  2>/dev/null <<'SQL' || true
SELECT wal_status || ' ' || pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))
  FROM pg_replication_slots WHERE slot_name = :'slot'
SQL
)
case "$slot_state" in
  lost*) echo "
!! The replication slot \"${SHOP_SLOT:-shop}\" was LOST while the pipeline was stopped (wal_status lost, ${slot_state#lost }
!! of WAL behind, more than max_slot_wal_keep_size). The changes since then cannot be streamed: the
!! connector now re-syncs on its own (new slot, re-snapshot of every table, reconcile every sink).
!! Progress: the dashboard banner and \`npm run distributary -- status --config examples/shop/distributary.yaml\`." ;;
  unreserved*) echo "
!! The replication slot \"${SHOP_SLOT:-shop}\" is about to be lost (wal_status unreserved, ${slot_state#unreserved } behind):
!! the connector starting now must catch up before the next checkpoint, or it will re-sync." ;;
esac
cat <<TXT

Distributary example pipeline (examples/shop/distributary.yaml) — where to look:
  Dashboard      http://127.0.0.1:8080   (token: shop-local-operator-token)
  Live page      http://127.0.0.1:${LIVE_PORT:-8091}/?category=1   (one category's products, live over the gateway on :${GATEWAY_PORT:-8090})
  Elasticsearch  curl -s '127.0.0.1:19200/shop-products/_search?q=category.name:*&size=3&pretty'
  Redis cache    redis-cli -p 16379 -n 1 GET product:1
  Query cache    redis-cli -p 16379 -n 1 ZRANGE category:1:cheapest 0 9 WITHSCORES
  View           psql postgres://postgres@127.0.0.1:15432/shop -c 'TABLE analytics.sales_by_category'
  Status         npm run distributary -- status --config examples/shop/distributary.yaml
  Verify         npm run distributary -- verify --config examples/shop/distributary.yaml
  Live writes    npx tsx examples/shop/writer.ts      (in another terminal)

TXT
# The live page (examples/shop/live): its own small server; it exits when the pipeline (its parent
# after the exec below) does.
LIVE_EXIT_WITH_PARENT=1 node --import tsx examples/shop/live/server.ts &
exec node --import tsx apps/cli/src/main.ts run --config examples/shop/distributary.yaml
