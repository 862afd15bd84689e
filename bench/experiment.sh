#!/usr/bin/env bash
# The recorded experiment: every strategy x the seeds of bench/experiment.conf on a base model pretrained here on a skewed known mix.
# Usage: bench/experiment.sh DATA_DIR [OUTPUT_DIR [RESULTS_DIR [--set KEY=VALUE ...]]]
#   DATA_DIR: sft/, pretrain/, eval/ (see its MANIFEST.md); OUTPUT_DIR: bench/work/experiment;
#   RESULTS_DIR: bench/results/experiment, what is committed; further --set options go to `versatune experiment`.
# Resumable: re-run the same command after an interruption; completed runs are reused, and seeds or strategies
# added to bench/experiment.conf train only the new runs.
# Memory: heap and ND4J's off-heap limit are set explicitly (the defaults let one JVM grow past 20 GB here).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/experiment.sh DATA_DIR [OUTPUT_DIR [RESULTS_DIR [--set KEY=VALUE ...]]]}" && pwd)"
out="${2:-bench/work/experiment}"
res="${3:-bench/results/experiment}"
shift $(( $# < 3 ? $# : 3 ))
source conf/env.sh
VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g}" \
  ./versatune experiment --conf bench/experiment.conf \
  --set "train.base-pretrain.input=[\"$data/pretrain\"]" \
  --set "experiment.pool=[\"$data/sft\"]" \
  --set "experiment.eval=[\"$data/sft\",\"$data/eval\"]" \
  --set "experiment.classifier-text=[\"$data/pretrain\"]" \
  "$@" --output "$out"
# what `versatune report RESULTS_DIR` needs to regenerate the report without retraining
rm -rf "$res" && mkdir -p "$res/probe"
cp "$out"/results.csv "$out"/results.json "$out"/summary.json "$out"/config.json "$out"/reference.json "$res"/
cp "$out"/probe/distribution.json "$res"/probe/
base="$(sed -n 's/^ *"base" *: *"\(.*\)".*/\1/p' "$out"/stats.json)"
cp "$base"/stats.json "$res"/base-stats.json
for run in "$out"/runs/*/seed-*; do
  dst="$res/runs/${run#"$out"/runs/}"
  mkdir -p "$dst" && cp "$run"/summary.json "$run"/weight-history.json "$dst"/
done
cp -r "$out"/report "$res"/report
# results name the data folder by its role, not by where it lies on this machine
sed -i "s#$data#DATA_DIR#g" "$res"/config.json "$res"/probe/distribution.json "$res"/report/index.html
echo "results: $res/ (report: $res/report/index.html)" >&2
