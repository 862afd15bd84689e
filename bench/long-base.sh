#!/usr/bin/env bash
# A long base (design: bench/long-base.md): 60M tokens on a mix proportional to the pretraining text, resumable;
# then the probe (2,000 samples) on it -> bench/results/<long-base|wide-base>-<UTC date>.json.
# Usage: bench/long-base.sh DATA_DIR CLASSIFIER_DIR [wide]   (re-run the same command after an interruption)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/long-base.sh DATA_DIR CLASSIFIER_DIR [wide]"
data="$(cd "${1:?$usage}" && pwd)"
clf="${2:?$usage}"
variant="${3:-}"
source bench/long-base-common.sh
source conf/env.sh
opts="-Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g"
VERSATUNE_JAVA_OPTS="$opts" ./versatune pretrain "${confs[@]}" \
  --input "$data/pretrain" --mix "$mix" --tokens "$tokens" --output "$work/base" --resume
VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "$work/base" --classifier "$clf" --samples 2000 \
  --calibration "$data/pretrain" --output "$work/probe-2000"
python3 bench/long-base-result.py "bench/results/$name-$(date -u +%Y%m%dT%H%M%SZ).json" \
  "bench/long-base.sh DATA_DIR CLASSIFIER_DIR${variant:+ $variant}" "$mix" "$work/probe-2000" \
  --stats "$work/base/stats.json"
