#!/usr/bin/env bash
# The project-local stack: PostgreSQL (logical WAL), Redis (AOF, fsync always), a 3-node Redis Cluster
# (for cluster tests) and a single-node Elasticsearch, each on its own port with data under .local/data.
# Never touches system-wide services.
#   stack.sh up | down | status [--quiet]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

PGBIN=""
pg_data="$DATA/postgres"
redis_dir="$DATA/redis"
es_data="$DATA/elasticsearch"

require_setup() {
  PGBIN=$(pg_bin_dir) || { echo "PostgreSQL is not installed: run npm run setup" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "Redis is not installed: run npm run setup" >&2; exit 1; }
  [ -x "$ES_HOME/bin/elasticsearch" ] || { echo "Elasticsearch is not installed: run npm run setup" >&2; exit 1; }
  mkdir -p "$DATA" "$LOGS" "$RUN"
  [ "$(id -u)" = "0" ] && chown "$SERVICE_USER" "$DATA" "$LOGS" "$RUN"
  return 0
}

pg_up() { "$(pg_bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }
redis_up() { redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }
cluster_up() { redis-cli -p "${REDIS_CLUSTER_PORTS%% *}" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }
es_up() { curl -fs "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; }

wait_for() { # name seconds check...
  local name=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 2))); do "$@" && return 0; sleep 0.5; done
  echo "$name did not become healthy within ${secs}s; see $LOGS" >&2
  return 1
}

# Replication-slot safety of the local stack (README "Production checklist" explains the choice):
# - max_slot_wal_keep_size bounds the WAL an idle or stopped pipeline's slot can pin (every slot in this
#   shared cluster — benchmarks, tests, npm start — together never hold more than this on disk). Past it
#   PostgreSQL invalidates the slot; the connector then re-syncs on its own (source.onSlotLost: resync).
#   8GB leaves room for a day of local benchmarks and bulk loads while the example pipeline is stopped.
# - wal_sender_timeout: a connector that died without closing its connection frees its slot within 30 s
#   (a live connector reports every 2 s), so a standby or a restart can take the slot over.
PG_SLOT_SETTINGS=("max_slot_wal_keep_size=8GB" "wal_sender_timeout=30s")

# Applies PG_SLOT_SETTINGS to a running cluster (also one created before they were chosen); idempotent.
apply_pg_slot_settings() {
  local setting name value
  for setting in "${PG_SLOT_SETTINGS[@]}"; do
    name=${setting%%=*} value=${setting#*=}
    "$(pg_bin_dir)/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "ALTER SYSTEM SET $name = '$value'" >/dev/null
  done
  "$(pg_bin_dir)/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "SELECT pg_reload_conf()" >/dev/null
}

start_postgres() {
  pg_up && { apply_pg_slot_settings; return 0; }
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $pg_data"
    mkdir -p "$pg_data"; [ "$(id -u)" = "0" ] && chown "$SERVICE_USER" "$pg_data"
    as_service_user "$PGBIN/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log"
    cat >>"$pg_data/postgresql.conf" <<CONF
# --- distributary local stack ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN'
wal_level = logical
max_replication_slots = 64
max_wal_senders = 64
max_connections = 300
shared_buffers = 256MB
logical_decoding_work_mem = 64MB
CONF
    echo "host all,replication all 127.0.0.1/32 trust" >>"$pg_data/pg_hba.conf"
  fi
  as_service_user "$PGBIN/pg_ctl" -D "$pg_data" -l "$LOGS/postgres.log" -w -t 60 start >/dev/null
  wait_for PostgreSQL 60 pg_up
  apply_pg_slot_settings
}

redis_conf() { # port dir extra...
  local port=$1 dir=$2; shift 2
  mkdir -p "$dir"; [ "$(id -u)" = "0" ] && chown "$SERVICE_USER" "$dir"
  cat <<CONF
port $port
bind 127.0.0.1
dir $dir
daemonize yes
pidfile $RUN/redis-$port.pid
logfile $LOGS/redis-$port.log
appendonly yes
appendfsync always
save ""
protected-mode no
$(printf '%s\n' "$@")
CONF
}

start_redis() {
  redis_up "$REDIS_PORT" && return 0
  redis_conf "$REDIS_PORT" "$redis_dir" >"$RUN/redis-$REDIS_PORT.conf"
  as_service_user redis-server "$RUN/redis-$REDIS_PORT.conf"
  wait_for Redis 30 redis_up "$REDIS_PORT"
}

start_redis_cluster() {
  local port nodes=()
  for port in $REDIS_CLUSTER_PORTS; do
    nodes+=("127.0.0.1:$port")
    redis_up "$port" && continue
    redis_conf "$port" "$DATA/redis-cluster-$port" "cluster-enabled yes" "cluster-config-file nodes-$port.conf" \
      "cluster-node-timeout 5000" >"$RUN/redis-$port.conf"
    as_service_user redis-server "$RUN/redis-$port.conf"
    wait_for "Redis cluster node $port" 30 redis_up "$port"
  done
  if ! cluster_up; then
    if [ "$(redis-cli -p "${REDIS_CLUSTER_PORTS%% *}" cluster info | grep -c 'cluster_known_nodes:1')" = "1" ]; then
      log "creating the 3-node Redis Cluster"
      redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$LOGS/redis-cluster-create.log"
    fi
    wait_for "Redis Cluster" 30 cluster_up
  fi
}

start_elasticsearch() {
  es_up && return 0
  mkdir -p "$es_data" "$RUN/es-tmp"; [ "$(id -u)" = "0" ] && chown "$SERVICE_USER" "$es_data" "$RUN/es-tmp"
  as_service_user env ES_JAVA_HOME="$(java17_home)" ES_TMPDIR="$RUN/es-tmp" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
    "$ES_HOME/bin/elasticsearch" -d -p "$RUN/elasticsearch.pid" \
    -E discovery.type=single-node -E network.host=127.0.0.1 \
    -E http.port="$ES_PORT" -E transport.port="$ES_TRANSPORT_PORT" \
    -E path.data="$es_data" -E path.logs="$LOGS/elasticsearch" \
    -E xpack.security.enabled=false -E cluster.routing.allocation.disk.threshold_enabled=false \
    -E action.destructive_requires_name=false >"$LOGS/elasticsearch-start.log" 2>&1
  wait_for Elasticsearch 180 es_up
}

print_urls() {
  cat <<TXT
PostgreSQL     postgres://postgres@127.0.0.1:$PG_PORT/postgres
Redis          redis://127.0.0.1:$REDIS_PORT
Redis Cluster  $(for p in $REDIS_CLUSTER_PORTS; do printf 'redis://127.0.0.1:%s ' "$p"; done)
Elasticsearch  http://127.0.0.1:$ES_PORT
TXT
}

cmd_up() {
  require_setup
  start_postgres & local pg=$!
  start_redis & local r=$!
  start_redis_cluster & local rc=$!
  start_elasticsearch & local es=$!
  local failed=0
  wait $pg || failed=1; wait $r || failed=1; wait $rc || failed=1; wait $es || failed=1
  [ $failed = 0 ] || { echo "the stack did not come up; logs are in $LOGS" >&2; exit 1; }
  log "stack is up"
  print_urls
}

stop_pidfile() { # name pidfile
  local pidf=$2 pid
  [ -f "$pidf" ] || return 0
  pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidf"
}

cmd_down() {
  local PGB; PGB=$(pg_bin_dir || true)
  if [ -n "$PGB" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_service_user "$PGB/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  local port
  for port in $REDIS_PORT $REDIS_CLUSTER_PORTS; do
    redis_up "$port" && redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
    stop_pidfile "redis $port" "$RUN/redis-$port.pid"
  done
  stop_pidfile elasticsearch "$RUN/elasticsearch.pid"
  log "stack is down"
}

cmd_status() {
  local quiet=${1:-} all=0
  check() { # label check...
    local label=$1; shift
    if "$@"; then [ -n "$quiet" ] || printf '%-15s up\n' "$label"; else [ -n "$quiet" ] || printf '%-15s down\n' "$label"; all=1; fi
  }
  if pg_bin_dir >/dev/null; then check PostgreSQL pg_up; else check PostgreSQL false; fi
  check Redis redis_up "$REDIS_PORT"
  check "Redis Cluster" cluster_up
  check Elasticsearch es_up
  [ -n "$quiet" ] || { echo; print_urls; }
  return $all
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) shift; cmd_status "${1:-}" ;;
  *) echo "usage: stack.sh up|down|status [--quiet]" >&2; exit 2 ;;
esac
