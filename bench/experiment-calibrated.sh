#!/usr/bin/env bash
# The recorded experiment again with a calibrated probe (probe.calibration.input = the raw text, as `probe --calibration`).
# Usage: bench/experiment-calibrated.sh DATA_DIR   (after bench/experiment.sh DATA_DIR has finished)
# Same base model, classifier, pool, eval, seeds and budget as bench/experiment.sh. Only the strategies that read
# the probed distribution (versatune, versatune-dynamic, versatune-expand) are trained again; the others do not
# read it, so their finished runs, the ingested pool and eval and the reference losses are the same computation
# and are copied from the first experiment instead of being repeated. Resumable like bench/experiment.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/experiment-calibrated.sh DATA_DIR}" && pwd)"
main=bench/work/experiment
out=bench/work/experiment-calibrated
[[ -f "$main/_VERSATUNE_SUCCESS" ]] || { echo "run bench/experiment.sh $1 first (needs $main)" >&2; exit 1; }
if [[ ! -e "$out" ]]; then
  mkdir -p "$out.tmp/runs"
  cp -r "$main"/ingest-pool "$main"/ingest-eval "$main"/reference.json "$out.tmp"/
  for s in uniform proportional inverse specific uniform-rest; do cp -r "$main/runs/$s" "$out.tmp/runs/"; done
  mv "$out.tmp" "$out"
fi
exec bench/experiment.sh "$data" "$out" bench/results/experiment-calibrated \
  --set "experiment.base=\"$main/base\"" --set "experiment.classifier=\"$main/classifier\"" \
  --set "probe.calibration.input=[\"$data/pretrain\"]"
