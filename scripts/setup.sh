#!/usr/bin/env bash
# Idempotent setup: npm dependencies from the lockfile, PostgreSQL and Redis from Debian packages when
# missing, Elasticsearch (integ-test zip from Maven Central) unpacked under .local/. A second run only
# checks and finishes in seconds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# --all: also the extras that only some test suites need (see step 6).
all_extras=0
for arg in "$@"; do
  case "$arg" in
    --all) all_extras=1 ;;
    *) echo "usage: npm run setup [-- --all]" >&2; exit 2 ;;
  esac
done

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "Node.js 20 or newer is required (found $(node --version))" >&2; exit 1; }

# 1. npm dependencies, reinstalled only when the lockfile changed.
stamp="node_modules/.distributary-lock.sha"
want=$(sha1sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm dependencies from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# 2. System packages: PostgreSQL, Redis, and the tools the tests use.
missing=()
pg_bin_dir >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v unzip >/dev/null || missing+=(unzip)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = "0" ] || { echo "missing ${missing[*]}: run npm run setup as root, or install them with apt-get" >&2; exit 1; }
  log "installing ${missing[*]} from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts system-wide services on install when it can; the project never uses them.
  service postgresql stop >/dev/null 2>&1 || true
  service redis-server stop >/dev/null 2>&1 || true
fi

# 3. The unprivileged user that runs PostgreSQL and Elasticsearch when we are root.
if [ "$(id -u)" = "0" ] && ! id "$SERVICE_USER" >/dev/null 2>&1; then
  log "creating system user $SERVICE_USER"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi

# 4. Elasticsearch from Maven Central, verified against its published SHA-1.
mkdir -p "$LOCAL/downloads" "$DATA" "$LOGS" "$RUN"
if [ ! -x "$ES_HOME/bin/elasticsearch" ]; then
  zip="$LOCAL/downloads/elasticsearch-$ES_VERSION.zip"
  url="$MAVEN_REPO/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  if [ ! -f "$zip" ]; then
    log "downloading Elasticsearch $ES_VERSION from Maven Central"
    curl -fsSL --retry 3 -o "$zip.part" "$url"
    expected=$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40)
    actual=$(sha1sum "$zip.part" | cut -d' ' -f1)
    [ "$expected" = "$actual" ] || { echo "checksum mismatch for $url" >&2; rm -f "$zip.part"; exit 1; }
    mv "$zip.part" "$zip"
  fi
  log "unpacking Elasticsearch into $ES_HOME"
  rm -rf "$ES_HOME.part" && mkdir -p "$ES_HOME.part"
  unzip -q "$zip" -d "$ES_HOME.part"
  mv "$ES_HOME.part/elasticsearch-$ES_VERSION" "$ES_HOME" && rmdir "$ES_HOME.part"
fi
# GET / for clients that check the cluster first (the integ-test zip lacks the rest-root module).
bash "$ROOT/scripts/es-root/install.sh" "$ES_HOME"
if [ "$(id -u)" = "0" ]; then
  chown -R "$SERVICE_USER" "$DATA" "$LOGS" "$RUN" "$ES_HOME"
fi

# 5. What the running pipeline needs beyond the services (the dashboard build).
for step in "$ROOT"/scripts/setup.d/*.sh; do
  [ -f "$step" ] && bash "$step"
done

# 6. Extras only some tests need (Chromium for the browser tests, the Kubernetes tools for deploy/test):
#    installed with --all, or lazily by the suites that use them (scripts/extras/<name>.sh).
if [ "$all_extras" = 1 ]; then
  for extra in "$ROOT"/scripts/extras/*.sh; do
    [ -f "$extra" ] && bash "$extra"
  done
fi
log "setup complete"
