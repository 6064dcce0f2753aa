# Shared settings for the local stack. Sourced by setup.sh and stack.sh; every value can be overridden
# from the environment. Everything lives under .local/ (git-ignored): downloads, binaries, data, logs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${DISTRIBUTARY_LOCAL:-$ROOT/.local}"
ES_VERSION="${ES_VERSION:-8.19.4}"
ES_HOME="$LOCAL/elasticsearch-$ES_VERSION"
MAVEN_REPO="${MAVEN_REPO:-https://repo.maven.apache.org/maven2}"
PG_PORT="${DISTRIBUTARY_PG_PORT:-15432}"
REDIS_PORT="${DISTRIBUTARY_REDIS_PORT:-16379}"
REDIS_CLUSTER_PORTS="${DISTRIBUTARY_REDIS_CLUSTER_PORTS:-17001 17002 17003}"
ES_PORT="${DISTRIBUTARY_ES_PORT:-19200}"
ES_TRANSPORT_PORT="${DISTRIBUTARY_ES_TRANSPORT_PORT:-19300}"
ES_HEAP="${DISTRIBUTARY_ES_HEAP:-1g}"
SERVICE_USER="${DISTRIBUTARY_SERVICE_USER:-distributary}"
DATA="$LOCAL/data"
LOGS="$LOCAL/logs"
RUN="$LOCAL/run"

pg_bin_dir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  return 1
}

java17_home() {
  local d
  for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/java-17-openjdk "${JAVA_HOME:-}"; do
    [ -n "$d" ] && [ -x "$d/bin/java" ] && { echo "$d"; return 0; }
  done
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

# Runs a command as the unprivileged service user when we are root (PostgreSQL and Elasticsearch refuse
# to run as root), otherwise as ourselves.
as_service_user() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$SERVICE_USER" -- "$@"
  else
    "$@"
  fi
}

log() { printf '[distributary] %s\n' "$*"; }
