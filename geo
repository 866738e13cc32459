#!/usr/bin/env bash
# The geo command, run from the repository root: builds the service once (Release, ReadyToRun) and runs it.
# Rebuilds when any source file (or this script) is newer than the build. Examples: ./geo serve, ./geo ownership --x 112.845 --y 34.167
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$root/.build/geo"
dll="$out/geo.dll"
if [[ ! -f "$dll" ]] || [[ -n "$(find "$root/src" "$root/Directory.Build.props" "$root/geo" -newer "$dll" -type f \( -name 'geo' -o -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.html' -o -name '*.json' -o -name '*.js' -o -name '*.css' -o -name '*.sql' \) -print -quit 2>/dev/null)" ]]; then
  echo "geo: building..." >&2
  rm -rf "$out"
  # Published ReadyToRun (precompiled native code beside the IL): a CLI run or a fresh service starts without JIT-
  # compiling thousands of methods first (measured: 25 % less CPU for a change-detection run on an 8192 px pair).
  # Falls back to a plain build when the ReadyToRun compiler package cannot be restored.
  # Cross-module ReadyToRun: generic instantiations over our types from other assemblies (Dictionary<ClassCode, ...>,
  # List<RtreeBox>, async state machines...) are precompiled into our images too, and small framework methods may be
  # inlined into them (the image records the IL it inlined; the runtime rejects that code, and JIT-compiles instead,
  # when the installed framework's IL differs). Measured on a fresh 500,000-row `components import`: 552 -> 251
  # methods left to the JIT, about 0.9 s less CPU, median wall 4.37 vs 5.04 s (benchmarks/README.md). crossgen2 does
  # not take a change of these arguments as a reason to recompile, so its intermediate output is dropped when they do.
  r2r_args='--non-local-generics-module:*;--opt-cross-module:*'
  r2r_obj="$root/src/GridService/Host/obj/Release/net10.0/linux-x64/R2R"
  if [[ "$(cat "$r2r_obj.args" 2>/dev/null)" != "$r2r_args" ]]; then rm -rf "$r2r_obj"; fi
  if dotnet publish "$root/src/GridService/Host/Geo.GridService.csproj" -c Release -r linux-x64 --self-contained false \
       -p:PublishReadyToRun=true "-p:PublishReadyToRunCrossgen2ExtraArgs=${r2r_args//;/%3B}" -o "$out" -nologo -v q -clp:ErrorsOnly >&2; then
    echo "$r2r_args" > "$r2r_obj.args"
  else
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
# `components import`: JIT time 1.7-1.8 s -> 0.3-0.5 s, about 1.2 s less CPU; with the cross-module build above still
# about 0.6 s less CPU, the wall clock within the noise (benchmarks/README.md). The service and the other verbs (not
# measured this way; long tile or change-detection runs gain from tiering) keep the runtime's defaults.
for a in "$@"; do
  if [[ "$a" == components && -z "${DOTNET_TieredCompilation:-}" ]]; then export DOTNET_TieredCompilation=0; fi
done
exec dotnet "$dll" "$@"
