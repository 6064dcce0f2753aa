#!/usr/bin/env bash
# Builds the dashboard (apps/dashboard → apps/dashboard/dist, served by the admin app) when the build
# is missing or older than any of its sources.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
app="$ROOT/apps/dashboard"
stamp="$app/dist/index.html"
[ -d "$app/src" ] || exit 0
if [ -f "$stamp" ] && [ -z "$(find "$app/src" "$app/index.html" "$app/vite.config.mts" -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "[setup] building the dashboard"
cd "$ROOT" && npx --no-install vite build --config apps/dashboard/vite.config.mts --logLevel warn
