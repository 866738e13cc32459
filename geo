#!/usr/bin/env bash
# The geo command, run from the repository root: builds the service once (Release, ReadyToRun) and runs it.
# Rebuilds when any source file is newer than the build. Examples: ./geo serve, ./geo ownership --x 112.845 --y 34.167
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$root/.build/geo"
dll="$out/geo.dll"
if [[ ! -f "$dll" ]] || [[ -n "$(find "$root/src" "$root/Directory.Build.props" -newer "$dll" -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.html' -o -name '*.json' -o -name '*.js' -o -name '*.css' -o -name '*.sql' \) -print -quit 2>/dev/null)" ]]; then
  echo "geo: building..." >&2
  rm -rf "$out"
  # Published ReadyToRun (precompiled native code beside the IL): a CLI run or a fresh service starts without JIT-
  # compiling thousands of methods first (measured: 25 % less CPU for a change-detection run on an 8192 px pair).
  # Falls back to a plain build when the ReadyToRun compiler package cannot be restored.
  if ! dotnet publish "$root/src/GridService/Host/Geo.GridService.csproj" -c Release -r linux-x64 --self-contained false \
       -p:PublishReadyToRun=true -o "$out" -nologo -v q -clp:ErrorsOnly >&2; then
    echo "geo: ReadyToRun publish failed; building without it" >&2
    rm -rf "$out"
    dotnet build "$root/src/GridService/Host/Geo.GridService.csproj" -c Release -o "$out" -nologo -v q -clp:ErrorsOnly >&2
  fi
  touch "$dll"
fi
# The census verbs (geo components ...) run once and exit: tiered compilation off for them (unless
# DOTNET_TieredCompilation is set), so the precompiled ReadyToRun code is used as it is and the methods it lacks
# (generic instantiations over our types) are compiled once, optimised, instead of two or three times (quick,
# instrumented for PGO, optimised) on a background thread competing for the two cores. Measured on a fresh 500,000-row
# `components import`: JIT time 1.6 s -> 0.3 s, about 1.2 s less CPU (benchmarks/README.md). The service and the other
# verbs (not measured this way; long tile or change-detection runs gain from tiering) keep the runtime's defaults.
for a in "$@"; do
  if [[ "$a" == components && -z "${DOTNET_TieredCompilation:-}" ]]; then export DOTNET_TieredCompilation=0; fi
done
exec dotnet "$dll" "$@"
