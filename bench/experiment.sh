#!/usr/bin/env bash
# The comparison (design: bench/experiment.md; settings: bench/experiment.conf): every strategy x seed fine-tuned
# from the committed experiment base, driven by a validation split, scored on a test split.
# Usage: bench/experiment.sh DATA_DIR [CLASSIFIER_DIR [--set KEY=VALUE ...]]
#   DATA_DIR: sft/, pretrain/, eval/ (see its MANIFEST.md). CLASSIFIER_DIR: reuse a trained domain classifier
#   (bench/probe.sh's); without it the experiment trains one on its pool and the raw text (about 10 minutes).
#   OUT (default bench/work/comparison) and RESULTS (default bench/results/comparison) move the folders.
# Resumable: re-run the same command after an interruption; finished runs are reused, and seeds or strategies
# added to bench/experiment.conf train only the new runs. The tables and report are rebuilt from whatever runs
# have finished whenever the experiment completes.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/experiment.sh DATA_DIR [CLASSIFIER_DIR [--set KEY=VALUE ...]]}" && pwd)"
clf=()
if [ $# -ge 2 ] && [ "${2#--}" = "$2" ]; then clf=(--set "experiment.classifier=\"$(cd "$2" && pwd)\""); shift; fi
shift
out="${OUT:-bench/work/comparison}"
res="${RESULTS:-bench/results/comparison}"
source conf/env.sh
# threads: every task sets its own from versatune.lm.train.threads-per-task (0 = automatic, conf/reference.conf)
VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g}" \
  ./versatune experiment --conf conf/base.conf --conf bench/experiment.conf \
  --set "experiment.pool=[\"$data/sft\"]" \
  --set "experiment.eval=[\"$data/eval\"]" \
  --set "experiment.classifier-text=[\"$data/pretrain\"]" \
  --set "probe.calibration.input=[\"$data/pretrain\"]" \
  "${clf[@]}" "$@" --output "$out"
# what the README cites, and what `versatune report RESULTS` needs to rebuild every table and the report without
# retraining (the per-item scores included)
bench/experiment-results.sh "$out" "$res" "$data"
./versatune report "$res" >/dev/null
bench/check-report.sh "$res/report"
echo "results: $res/ (report: $res/report/index.html)" >&2
