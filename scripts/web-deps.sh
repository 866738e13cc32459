#!/usr/bin/env bash
# Installs the web map's npm dependencies (web/package-lock.json) and copies MapLibre GL JS into the service's
# wwwroot/vendor (gitignored), so the map is served from this machine: no CDN. Runs `npm ci` only when
# web/node_modules is missing or older than the lock file; copies only files that changed. Safe to run twice.
# Called by scripts/ensure-deps.sh (both README commands).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
vendor="$root/src/GridService/Host/wwwroot/vendor"

if ! command -v npm >/dev/null; then
  echo "installing: nodejs npm" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

stamp="$web/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$web/package-lock.json" -nt "$stamp" ]]; then
  echo "web: npm ci" >&2
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

dist="$web/node_modules/maplibre-gl/dist"
mkdir -p "$vendor"
for f in maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl-shared.mjs maplibre-gl.css; do
  if [[ -f "$dist/$f" ]] && ! cmp -s "$dist/$f" "$vendor/$f"; then cp "$dist/$f" "$vendor/$f"; fi
done
cp -n "$web/node_modules/maplibre-gl/LICENSE.txt" "$vendor/maplibre-gl.LICENSE.txt" 2>/dev/null || true
