#!/usr/bin/env bash
# The map of where VersaTune's premise holds (design: bench/premise-map.md; settings: bench/premise-map.conf on
# bench/experiment.conf): one budget point per call, on the committed experiment base.
# Usage: bench/premise-map.sh DATA_DIR STAGE_SIZE [CLASSIFIER_DIR] [--set KEY=VALUE ...]
#   STAGE_SIZE: records per stage (4 stages): 250, 2000 or 8000 in the design.
#   Output bench/work/premise-map/budget-STAGE_SIZE/, results bench/results/premise-map/budget-STAGE_SIZE/.
# The splits, the probe and the per-seed reference losses do not depend on the budget: a point started after another
# one has finished copies them from it instead of recomputing them (same seed, same inputs, same files).
# Resumable: re-run the same command; finished runs are reused, added seeds train only the new runs.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench/premise-map.sh DATA_DIR STAGE_SIZE [CLASSIFIER_DIR] [--set KEY=VALUE ...]}"
size="${2:?usage: bench/premise-map.sh DATA_DIR STAGE_SIZE [CLASSIFIER_DIR] [--set KEY=VALUE ...]}"
shift 2
root=bench/work/premise-map
out="$root/budget-$size"
if [ ! -d "$out" ]; then
  for done in "$root"/budget-*; do
    [ -f "$done/_VERSATUNE_SUCCESS" ] || continue
    mkdir -p "$out"
    cp -r "$done/splits" "$done/probe" "$out/"
    cp "$done"/reference-seed-*.json "$out/" 2>/dev/null || true
    echo "premise-map: splits, probe and reference losses copied from $done" >&2
    break
  done
fi
OUT="$out" RESULTS="bench/results/premise-map/budget-$size" \
  bench/experiment.sh "$data" "$@" --conf bench/premise-map.conf --set "train.stage-size=$size"
