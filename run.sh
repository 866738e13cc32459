#!/usr/bin/env bash
# Command 1 of the README: install what is missing, then start the service on the embedded GeoPackage store
# (data/geo.gpkg), loaded with the synthetic Ruzhou samples when empty. Safe to run twice.
# Listens on http://127.0.0.1:5080 (override with GEO_URLS). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/ensure-deps.sh runtime
if [[ ! -f data-samples/ruzhou/grids.geojson ]]; then ./geo samples generate --out data-samples/ruzhou; fi
if [[ ! -f data-samples/surveys/manifest.json ]]; then ./geo surveys generate --out data-samples/surveys; fi
exec ./geo serve --store "${GEO_STORE:-data/geo.gpkg}" --urls "${GEO_URLS:-http://127.0.0.1:5080}" --load-samples data-samples/ruzhou \
  --load-survey-samples data-samples/surveys
