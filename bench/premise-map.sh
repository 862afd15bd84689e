#!/usr/bin/env bash
# The map of where VersaTune's premise holds (design: bench/premise-map.md; settings: bench/premise-map.conf on
# bench/experiment.conf): one budget point per call, on the committed experiment base.
# Usage: bench/premise-map.sh DATA_DIR STAGE_SIZE [CLASSIFIER_DIR] [--set KEY=VALUE ...]
#   STAGE_SIZE: records per stage (4 stages): 250, 2000 or 8000 in the design.
#   Output bench/work/premise-map/budget-STAGE_SIZE/, results bench/results/premise-map/budget-STAGE_SIZE/.
#   SIZE=small|large: a point of the size axis instead, on that base (SIZE=small bench/base.sh DATA_DIR trains it
#   into bench/results/premise-map/size-small/base/); output and results in size-small/ (size-large/). Such a point
#   probes its own base and computes its own reference losses: only the splits are shared.
# The splits, the probe and the per-seed reference losses do not depend on the budget: the probe and the classifier
# are committed (bench/results/premise-map/shared/), and a point started after another one has finished copies its
# splits and reference losses instead of recomputing them (same seed, same inputs, same files).
# Resumable: re-run the same command; finished runs are reused, added seeds train only the new runs. Across sessions:
# `bench/experiment-results.sh bench/work/premise-map/budget-N bench/results/premise-map/budget-N DATA_DIR` keeps the
# scored runs in git, and this script restores them into a fresh work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench/premise-map.sh DATA_DIR STAGE_SIZE [CLASSIFIER_DIR] [--set KEY=VALUE ...]}"
size="${2:?usage: bench/premise-map.sh DATA_DIR STAGE_SIZE [CLASSIFIER_DIR] [--set KEY=VALUE ...]}"
shift 2
root=bench/work/premise-map
point="budget-$size"
base=()
if [ -n "${SIZE:-}" ]; then
  point="size-$SIZE"
  base_dir="bench/results/premise-map/$point/base"
  [ -f "$base_dir/_VERSATUNE_SUCCESS" ] || { echo "no base in $base_dir: run SIZE=$SIZE bench/base.sh DATA_DIR first" >&2; exit 2; }
  base=(--set "experiment.base=\"$base_dir\"")
fi
out="$root/$point"
res="bench/results/premise-map/$point"
shared=bench/results/premise-map/shared
if [ ! -d "$out" ] && [ -d "$res/test-scores" ]; then
  # an experiment interrupted in an earlier session: its scored runs come back from the committed results and are
  # not trained again (the runner skips a run whose scores and reference losses exist)
  mkdir -p "$out"
  cp "$res"/reference-seed-*.json "$out"/
  (cd "$res" && find test-scores -name '*.json.gz') | while read -r f; do
    mkdir -p "$out/$(dirname "$f")" && gunzip -c "$res/$f" > "$out/${f%.gz}"
  done
  echo "premise-map: $(find "$out/test-scores" -name 'seed-*.json' | wc -l) scored runs restored from $res" >&2
fi
# pieces that depend on neither the budget nor the strategy: the probe (committed beside the classifier), and the
# splits and per-seed reference losses of another budget point that finished in this work folder
mkdir -p "$out"
# (the probe and the reference losses belong to the committed base: a size point makes its own)
if [ -z "${SIZE:-}" ] && [ -d "$shared/probe" ] && [ ! -d "$out/probe" ]; then
  cp -r "$shared/probe" "$out/probe"
fi
for done in "$root"/budget-*; do
  [ -f "$done/_VERSATUNE_SUCCESS" ] && [ ! -d "$out/splits" ] || continue
  cp -r "$done/splits" "$out/"
  if [ -z "${SIZE:-}" ]; then
    cp -n "$done"/reference-seed-*.json "$out/" 2>/dev/null || true
    echo "premise-map: splits and reference losses copied from $done" >&2
  else
    echo "premise-map: splits copied from $done" >&2
  fi
  break
done
# the classifier every point shares, committed (7.5 MB) so that no session trains it again
# (a point that trained its own, as the first one did, keeps it: its runs were made with it)
clf=()
if [ $# -eq 0 ] || [ "${1#--}" != "$1" ]; then
  [ -f "$shared/classifier/_VERSATUNE_SUCCESS" ] && [ ! -d "$out/classifier" ] && clf=("$shared/classifier")
fi
OUT="$out" RESULTS="$res" bench/experiment.sh "$data" "${clf[@]}" "$@" --conf bench/premise-map.conf --set "train.stage-size=$size" \
  "${base[@]}"
