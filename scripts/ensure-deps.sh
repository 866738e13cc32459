#!/usr/bin/env bash
# Installs the Debian packages the product and its tests need, only when missing. Safe to run twice.
# Usage: scripts/ensure-deps.sh runtime|test
set -euo pipefail
kind="${1:-runtime}"

# Runtime: GDAL (P/Invoke over libgdal.so.32) and PROJ; SQLite's spatialite module for the embedded store's tooling.
# libgtk-3-0: OpenCV's native library (OpenCvSharp4 runtime; tile encoding, the synthetic survey generator) links it.
pkgs=(gdal-bin libgdal32 proj-bin libsqlite3-mod-spatialite libgtk-3-0)
if [[ "$kind" == "test" ]]; then
  # Tests also drive PostgreSQL/PostGIS (the production store), and load tools for the benchmarks.
  pkgs+=(postgresql-15-postgis-3 python3-gdal wrk)
  # The reference change-detection scorer (shared/eval/cdeval.py) used by benchmarks/changes/score.sh.
  pkgs+=(python3-opencv python3-numpy)
  # The web map's browser test: Debian's headless Chromium, and CJK fonts so Chinese labels render.
  pkgs+=(chromium fonts-noto-cjk)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The web map's MapLibre GL JS, from npm into wwwroot/vendor (installs nodejs/npm when missing).
"$(dirname "${BASH_SOURCE[0]}")/web-deps.sh"

if ! command -v dotnet >/dev/null; then
  echo "error: the .NET 10 SDK is required (dotnet not on PATH)" >&2
  exit 1
fi
