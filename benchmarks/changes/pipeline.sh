#!/usr/bin/env bash
# Speed and memory of the survey change-detection pipeline (issue #5), side by side with its peers in the same run:
#   - the decode limit: both orthophotos (and DSMs) read through GDAL with both cores, nothing else done;
#   - `./geo changes detect-surveys` end to end (JPEG-in-TIFF and DEFLATE COG variants, with DSMs), peak RSS;
#   - Orfeo ToolBox's MultivariateAlterationDetector on the same pair (Debian otb-bin, installed here if missing).
# Inputs are generated with the project's own generator (`./geo surveys generate --plain`, seed 7) and converted to
# COGs the way survey ingest stores them. Usage: benchmarks/changes/pipeline.sh [SIZES...]   (default: 8192 16384)
# Environment: WORK (default /tmp/geo-cd-bench; ~3 GB for 16k), OTB=0 to skip the OTB run, OTB_MAX (largest size OTB
# is run on, default 8192: it needs several GiB and minutes at 16k).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${WORK:-/tmp/geo-cd-bench}"
SIZES=("${@:-8192 16384}")
read -r -a SIZES <<< "${SIZES[*]}"
OTB="${OTB:-1}"
OTB_MAX="${OTB_MAX:-8192}"
mkdir -p "$WORK"

prepare() { # size -> $WORK/s$size/{plain,deflate,jpeg}
  local s=$1 d="$WORK/s$1"
  if [[ ! -f "$d/plain/manifest.json" ]]; then
    mkdir -p "$d/plain"
    "$root/geo" surveys generate --out "$d/plain" --size "$s" --seed 7 --plain > /dev/null
  fi
  for v in deflate jpeg; do
    mkdir -p "$d/$v"
    for e in 1 2; do
      local out="$d/$v/epoch$e.tif"
      if [[ ! -f "$out" ]]; then
        local co=(-co COMPRESS=DEFLATE -co PREDICTOR=YES)
        [[ $v == jpeg ]] && co=(-co COMPRESS=JPEG -co QUALITY=80)
        gdal_translate -q -of COG -b 1 -b 2 -b 3 -mask 4 "${co[@]}" -co NUM_THREADS=ALL_CPUS -co BIGTIFF=IF_SAFER \
          "$d/plain/epoch$e.tif" "$out.partial.tif" && mv "$out.partial.tif" "$out"
      fi
      if [[ ! -f "$d/$v/epoch${e}_dsm.tif" ]]; then
        if [[ $v == deflate ]]; then
          gdal_translate -q -of COG -co COMPRESS=DEFLATE -co PREDICTOR=YES -co NUM_THREADS=ALL_CPUS \
            "$d/plain/epoch${e}_dsm.tif" "$d/$v/epoch${e}_dsm.partial.tif" && mv "$d/$v/epoch${e}_dsm.partial.tif" "$d/$v/epoch${e}_dsm.tif"
        else
          ln -sf "../deflate/epoch${e}_dsm.tif" "$d/$v/epoch${e}_dsm.tif"
        fi
      fi
    done
  done
}

if [[ "${1:-}" == "--prepare-only" ]]; then shift; for s in "${@:-8192 16384}"; do prepare "$s"; done; exit 0; fi
