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
python3 - "bench/results/real-windows-$(date -u +%Y%m%dT%H%M%SZ).json" "$mix" "$out/probe" "$context" <<'PY'
import json, math, sys
out, mix, probe, context = sys.argv[1:]
truth = {k: float(v) for k, v in (p.split("=") for p in mix.split(","))}
d = json.load(open(f"{probe}/distribution.json"))
share = d["trust"]["labelled_share"]
half = 1.96 * math.sqrt(share * (1 - share) / d["samples"])
raw = d["estimates"]["raw"]["shares"]
res = {"command": "bench/real-windows.sh DATA_DIR CLASSIFIER_DIR", "mix": truth, "windows": d["samples"],
       "window_tokens": int(context), "max_tokens": 96, "labelled_share": share,
       "labelled_share_interval": [round(share - half, 4), round(share + half, 4)],
       "labelled_mix": {k: round(raw[k], 4) for k in truth},
       "labelled_mix_tv": round(0.5 * sum(abs(raw[k] - truth[k]) for k in truth), 4)}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
