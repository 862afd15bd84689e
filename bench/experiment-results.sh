#!/usr/bin/env bash
# Copies what an experiment's work folder holds worth keeping into a results folder for git: the tables, settings,
# per-seed reference losses, the probe's distribution, the split manifests, every scored run's per-item test scores
# (compressed) and its summary and weight history. `versatune report RESULTS` recomputes every table and interval
# from these; bench/premise-map.sh restores an interrupted experiment from them, so its scored runs are not trained
# again in a later session.
# Usage: bench/experiment-results.sh OUT RESULTS DATA_DIR   (DATA_DIR is written as DATA_DIR in the results)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: bench/experiment-results.sh OUT RESULTS DATA_DIR}"
res="${2:?usage: bench/experiment-results.sh OUT RESULTS DATA_DIR}"
data="${3:?usage: bench/experiment-results.sh OUT RESULTS DATA_DIR}"
# a size point keeps its base beside its results (bench/base.sh writes it there): everything else is replaced
mkdir -p "$res" && find "$res" -mindepth 1 -maxdepth 1 ! -name base -exec rm -rf {} + && mkdir -p "$res/probe" "$res/splits"
for f in results.csv results.json summary.json config.json stats.json oracle-weights.json; do
  [ -f "$out/$f" ] && cp "$out/$f" "$res"/
done
cp "$out"/reference-seed-*.json "$res"/ 2>/dev/null || true
[ -f "$out/probe/distribution.json" ] && cp "$out"/probe/distribution.json "$res"/probe/
[ -f "$out/splits/manifest.json" ] && cp "$out"/splits/manifest.json "$out"/splits/*-ids.tsv "$res"/splits/
# the per-item test scores, compressed
(cd "$out" && find test-scores -name '*.json' 2>/dev/null) | while read -r f; do
  mkdir -p "$res/$(dirname "$f")" && gzip -n -9 -c "$out/$f" > "$res/$f.gz"
done
for run in "$out"/runs/*/seed-*; do
  [ -f "$run/_VERSATUNE_SUCCESS" ] || continue
  dst="$res/runs/${run#"$out"/runs/}"
  mkdir -p "$dst" && cp "$run"/summary.json "$run"/weight-history.json "$dst"/
done
# results name the data folder by its role, not by where it lies on this machine
{ grep -rl "$data" "$res" || true; } | xargs -r sed -i "s#$data#DATA_DIR#g"
{ grep -rl "$PWD/" "$res" || true; } | xargs -r sed -i "s#$PWD/##g"   # and other folders relative to the checkout
