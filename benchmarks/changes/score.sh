#!/usr/bin/env bash
# Scores `geo changes detect-pairs` on the shared labelled pairs with the reference scorer (pooled pixel P/R/F1/IoU,
# object recall/precision under both rules). Usage: benchmarks/changes/score.sh [EVAL_ROOT]
# EVAL_ROOT defaults to ../shared/eval (holds cdeval.py and changes/). The imagery stays there: masks go to a temp dir.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
eval_root="${1:-$root/../shared/eval}"
[[ -d "$eval_root/changes" ]] || eval_root=/work/shared/eval
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for set in levir-cd-crops dsifn-cd; do
  "$root/geo" changes detect-pairs --before "$eval_root/changes/$set/A" --after "$eval_root/changes/$set/B" \
    --out "$out/$set" --gsd 0.5 2>/dev/null
  echo "== $set"
  /usr/bin/python3 "$eval_root/cdeval.py" "$eval_root/changes/$set" "$out/$set" --quiet | grep -E "POOLED|OBJECTS|cover|IoU>="
done
