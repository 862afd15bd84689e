#!/usr/bin/env bash
# The sampling control of bench/long-base.md: the finished long base probed as its end point is, with repetition
# penalty 1.0 instead of the paper's 1.1 -> bench/results/long-base-rp1-<UTC date>.json.
# Usage: bench/long-base-sampling.sh DATA_DIR CLASSIFIER_DIR   (after bench/long-base.sh has finished)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/long-base-sampling.sh DATA_DIR CLASSIFIER_DIR"
data="$(cd "${1:?$usage}" && pwd)"
clf="${2:?$usage}"
source bench/long-base-common.sh
source conf/env.sh
VERSATUNE_JAVA_OPTS="-Xmx6g" ./versatune probe --model "$work/base" --classifier "$clf" --samples 2000 \
  --calibration "$data/pretrain" --set versatune.lm.generate.repetition-penalty=1.0 --output "$work/probe-2000-rp1"
python3 bench/long-base-result.py "bench/results/long-base-rp1-$(date -u +%Y%m%dT%H%M%SZ).json" \
  "bench/long-base-sampling.sh DATA_DIR CLASSIFIER_DIR" "$mix" "$work/probe-2000-rp1" --stats "$work/base/stats.json"
