#!/usr/bin/env bash
# One point of a long base's labelled-share curve (design: bench/long-base.md): waits while bench/long-base.sh
# trains until its latest checkpoint reaches STEP, copies that checkpoint, and probes the copy as the finished base
# is probed (2,000 samples) -> bench/results/<long-base|wide-base>-step<STEP>-<UTC date>.json.
# Usage: bench/long-base-point.sh DATA_DIR CLASSIFIER_DIR STEP [wide]   (STEP a multiple of the checkpoint period)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/long-base-point.sh DATA_DIR CLASSIFIER_DIR STEP [wide]"
data="$(cd "${1:?$usage}" && pwd)"
clf="${2:?$usage}"
step="${3:?$usage}"
variant="${4:-}"
source bench/long-base-common.sh
latest="$work/.base.checkpoints/latest"
snap="$work/step-$step"
at() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' "$1/state.json" 2>/dev/null || echo -1; }
if [ "$(at "$snap/model")" != "$step" ]; then
  while [ "$(at "$latest")" -lt "$step" ]; do sleep 15; done
  [ "$(at "$latest")" = "$step" ] || { echo "the latest checkpoint is past step $step ($(at "$latest"))" >&2; exit 1; }
  rm -rf "$snap" && mkdir -p "$snap" && cp -r "$latest" "$snap/model.tmp"
  # a periodic save may have started during the copy: keep the copy only if it still reads STEP
  [ "$(at "$snap/model.tmp")" = "$step" ] || { echo "checkpoint moved on during the copy" >&2; exit 1; }
  rm -f "$snap/model.tmp/optimizer.bin" && mv "$snap/model.tmp" "$snap/model"
fi
source conf/env.sh
VERSATUNE_JAVA_OPTS="-Xmx6g" ./versatune probe --model "$snap/model" --classifier "$clf" --samples 2000 \
  --calibration "$data/pretrain" --output "$snap/probe-2000"
python3 bench/long-base-result.py "bench/results/$name-step$step-$(date -u +%Y%m%dT%H%M%SZ).json" \
  "bench/long-base-point.sh DATA_DIR CLASSIFIER_DIR $step${variant:+ $variant}" "$mix" "$snap/probe-2000" \
  --state "$snap/model/state.json" "$tokens"
