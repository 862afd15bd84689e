#!/usr/bin/env bash
# The recorded experiment: every strategy x 3 seeds on a base model pretrained here on a skewed known mix.
# Usage: bench/experiment.sh DATA_DIR [OUTPUT_DIR]   (DATA_DIR: sft/, pretrain/, eval/, see its MANIFEST.md)
# Resumable: re-run the same command after an interruption; completed runs are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/experiment.sh DATA_DIR [OUTPUT_DIR]}" && pwd)"
out="${2:-bench/work/experiment}"
source conf/env.sh
VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx14g}" ./versatune experiment --conf bench/experiment.conf \
  --set "train.base-pretrain.input=[\"$data/pretrain\"]" \
  --set "experiment.pool=[\"$data/sft\"]" \
  --set "experiment.eval=[\"$data/sft\",\"$data/eval\"]" \
  --set "experiment.classifier-text=[\"$data/pretrain\"]" \
  --output "$out"
mkdir -p bench/results/experiment
cp "$out"/results.csv "$out"/results.json "$out"/summary.json "$out"/config.json bench/results/experiment/
cp "$out"/probe/distribution.json bench/results/experiment/
rm -rf bench/results/experiment/report && cp -r "$out"/report bench/results/experiment/report
echo "results: bench/results/experiment/ (report: bench/results/experiment/report/index.html)" >&2
