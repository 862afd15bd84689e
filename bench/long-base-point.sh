#!/usr/bin/env bash
# One point of the long base's labelled-share curve (design: bench/long-base.md): waits while bench/long-base.sh
# trains until its latest checkpoint reaches STEP, copies that checkpoint, and probes the copy as the finished base
# is probed (2,000 samples) -> bench/results/long-base-step<STEP>-<UTC date>.json.
# Usage: bench/long-base-point.sh DATA_DIR CLASSIFIER_DIR STEP   (STEP a multiple of the 200-step checkpoint period)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/long-base-point.sh DATA_DIR CLASSIFIER_DIR STEP"
data="$(cd "${1:?$usage}" && pwd)"
clf="${2:?$usage}"
step="${3:?$usage}"
mix="law=0.08,medicine=0.28,finance=0.22,science=0.14,code=0.19,general=0.09"
work=bench/work/long-base
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
out="bench/results/long-base-step$step-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$snap" "$out" "$mix" "$step" <<'PY'
import json, sys
snap, out, mix, step = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
truth = {k: float(v) for k, v in (p.split("=") for p in mix.split(","))}
d = json.load(open(f"{snap}/probe-2000/distribution.json"))
ft = d["estimates"].get("first-token", {}).get("shares")
res = {"command": f"bench/long-base-point.sh DATA_DIR CLASSIFIER_DIR {step}", "mix": truth, "step": step,
       "tokens_at_step": round(step * 60000000 / 14987), "labelled_share": d["trust"]["labelled_share"],
       "first_token_tv": ft and round(0.5 * sum(abs(ft[k] - truth[k]) for k in truth), 4)}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
