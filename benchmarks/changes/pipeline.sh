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
      # Overviews as survey ingest builds them (AVERAGE); files made by older versions of this script are redone.
      [[ -f "$d/$v/.average-overviews" ]] || rm -f "$out"
      if [[ ! -f "$out" ]]; then
        local co=(-co COMPRESS=DEFLATE -co PREDICTOR=YES -co OVERVIEW_RESAMPLING=AVERAGE)
        [[ $v == jpeg ]] && co=(-co COMPRESS=JPEG -co QUALITY=80 -co OVERVIEW_RESAMPLING=AVERAGE)
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
    touch "$d/$v/.average-overviews"
  done
}

if [[ "${1:-}" == "--prepare-only" ]]; then shift; for s in "${@:-8192 16384}"; do prepare "$s"; done; exit 0; fi

# ---- measurements ----
geo="${GEO:-$root/geo}"   # GEO=/path/to/frozen/geo to measure a fixed build while editing
"$geo" --help > /dev/null 2>&1 || true   # build once, outside the timings
if [[ "$OTB" == 1 ]] && ! command -v otbcli_MultivariateAlterationDetector > /dev/null; then
  echo "installing otb-bin (benchmark peer only)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends otb-bin > /dev/null
fi

timed() { # label px cmd... -> one table row: seconds, Mpx/s, peak RSS
  local label=$1 px=$2; shift 2
  local log; log="$(mktemp)"
  /usr/bin/time -v "$@" > "$log.out" 2> "$log" || { echo "FAILED: $label" >&2; tail -3 "$log" >&2; rm -f "$log" "$log.out"; return 1; }
  local secs rss cpu
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$log")
  printf "| %s | %.2f | %.1f | %s | %s |\n" "$label" "$secs" "$(echo "$px / $secs / 1000000" | bc -l)" "$cpu" "$rss"
  echo "$label $secs" >> "$WORK/times.txt"
  echo "$label $cpu" >> "$WORK/cpu.txt"
  rm -f "$log" "$log.out"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo
echo "| run | seconds | Mpx/s (output pixels) | CPU s (user + sys) | peak RSS MiB |"
echo "|---|---|---|---|---|"
: > "$WORK/times.txt"
: > "$WORK/cpu.txt"
for s in "${SIZES[@]}"; do
  prepare "$s"
  px=$((s * s))
  for v in jpeg deflate; do
    d="$WORK/s$s/$v"
    timed "$s² $v: decode limit (read both orthos + DSMs, 2 threads)" $px \
      "$geo" changes detect-surveys --decode-only --before-ortho "$d/epoch1.tif" --after-ortho "$d/epoch2.tif" \
      --before-dsm "$d/epoch1_dsm.tif" --after-dsm "$d/epoch2_dsm.tif"
    timed "$s² $v: detect-surveys with DSMs" $px \
      "$geo" changes detect-surveys --before-ortho "$d/epoch1.tif" --after-ortho "$d/epoch2.tif" \
      --before-dsm "$d/epoch1_dsm.tif" --after-dsm "$d/epoch2_dsm.tif" --out "$WORK/s$s/$v.geojson"
    timed "$s² $v: detect-surveys, orthos only" $px \
      "$geo" changes detect-surveys --before-ortho "$d/epoch1.tif" --after-ortho "$d/epoch2.tif" --out "$WORK/s$s/$v-nodsm.geojson"
    if [[ "$OTB" == 1 && "$s" -le "$OTB_MAX" && "$v" == deflate ]]; then
      ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=2 timed "$s² $v: OTB MultivariateAlterationDetector" $px \
        otbcli_MultivariateAlterationDetector -in1 "$d/epoch1.tif" -in2 "$d/epoch2.tif" -out "$WORK/s$s/mad.tif" float
      rm -f "$WORK/s$s/mad.tif"
    fi
  done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ratios (same run): pipeline throughput / decode-limit throughput = decode seconds / pipeline seconds"
echo "and in CPU time (less sensitive to other load on the machine): decode CPU s / pipeline CPU s"
python3 - "$WORK/times.txt" "$WORK/cpu.txt" <<'PY'
import sys, re
def load(p):
    rows = [l.rsplit(' ', 1) for l in open(p).read().splitlines() if l.strip()]
    return {k: float(v) for k, v in rows}
t = load(sys.argv[1])
c = load(sys.argv[2])
for k, v in t.items():
    m = re.match(r'(\S+) (\w+): detect-surveys,? (.*)', k)
    if not m: continue
    dec = t.get(f"{m.group(1)} {m.group(2)}: decode limit (read both orthos + DSMs, 2 threads)")
    otb = t.get(f"{m.group(1)} {m.group(2)}: OTB MultivariateAlterationDetector")
    line = f"{m.group(1)} {m.group(2)} {m.group(3)}: {dec / v * 100:.0f} % of the decode limit" if dec else ""
    if otb: line += f", {otb / v:.1f}x OTB MAD's throughput"
    cdec = c.get(f"{m.group(1)} {m.group(2)}: decode limit (read both orthos + DSMs, 2 threads)")
    cotb = c.get(f"{m.group(1)} {m.group(2)}: OTB MultivariateAlterationDetector")
    if cdec: line += f"; CPU: {cdec / c[k] * 100:.0f} % of the decode limit's"
    if cotb: line += f", {cotb / c[k]:.1f}x OTB's"
    print(line)
PY
