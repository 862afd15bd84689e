#!/usr/bin/env bash
# A ceiling control for the samples' labelled share (design: bench/long-base.md, "A ceiling control"): 2,000 windows
# of the long base's held-out documents, cut as pretraining cuts them and as long as a sample, labelled by the
# classifier through the probe -> bench/results/real-windows-<UTC date>.json. Needs the finished long base
# (bench/long-base.sh) for its held-out list, tokenizer and calibration samples.
# Usage: bench/real-windows.sh DATA_DIR CLASSIFIER_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/real-windows.sh DATA_DIR CLASSIFIER_DIR"
data="$(cd "${1:?$usage}" && pwd)"
clf="${2:?$usage}"
variant=""
source bench/long-base-common.sh
source conf/env.sh
base="$work/base"
out="bench/work/real-windows"
context=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"])' "$base/model.json")
jar="${VERSATUNE_JAR:-jobs/target/versatune.jar}"
[ -f "$jar" ] || mvn -B -q -DskipTests package
rm -rf "$out" && mkdir -p "$out"
java -Xmx4g -cp "$jar:$(cat "$(dirname "$jar")/provided-classpath.txt")" bench/RealWindows.java \
  "$base" "$data/pretrain" "$mix" 2000 "$context" 96 42 "$out/windows.jsonl"
VERSATUNE_JAVA_OPTS="-Xmx4g" ./versatune probe --classifier "$clf" --samples-input "$out/windows.jsonl" \
  --calibration-samples "$work/probe-2000/calibration-samples.jsonl" --output "$out/probe"
python3 bench/long-base-result.py "bench/results/real-windows-$(date -u +%Y%m%dT%H%M%SZ).json" \
  "bench/real-windows.sh DATA_DIR CLASSIFIER_DIR" "$mix" "$out/probe" --windows "$context" 96
