#!/usr/bin/env bash
# A longer base of the recipe (design: bench/long-base.md): 60M tokens on a mix proportional to the pretraining
# text, resumable; then the probe (2,000 samples) on it -> bench/results/long-base-<UTC date>.json.
# Usage: bench/long-base.sh DATA_DIR CLASSIFIER_DIR   (re-run the same command after an interruption)
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/long-base.sh DATA_DIR CLASSIFIER_DIR}" && pwd)"
clf="${2:?usage: bench/long-base.sh DATA_DIR CLASSIFIER_DIR}"
mix="law=0.08,medicine=0.28,finance=0.22,science=0.14,code=0.19,general=0.09"
work=bench/work/long-base
source conf/env.sh
opts="-Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g"
OMP_NUM_THREADS="$(nproc --all)" VERSATUNE_JAVA_OPTS="$opts" ./versatune pretrain --conf conf/base.conf \
  --input "$data/pretrain" --mix "$mix" --tokens 60000000 --output "$work/base" --resume
VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "$work/base" --classifier "$clf" --samples 2000 \
  --calibration "$data/pretrain" --output "$work/probe-2000"
out="bench/results/long-base-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work" "$out" "$mix" <<'PY'
import json, sys
work, out, mix = sys.argv[1:4]
truth = {k: float(v) for k, v in (p.split("=") for p in mix.split(","))}
s = json.load(open(f"{work}/base/stats.json"))
d = json.load(open(f"{work}/probe-2000/distribution.json"))
ft = d["estimates"].get("first-token", {}).get("shares")
res = {"command": "bench/long-base.sh DATA_DIR CLASSIFIER_DIR", "mix": truth, "tokens_trained": s["tokens_trained"],
       "train_seconds": s["train_seconds"], "heldout_loss_final": s["heldout_loss_final"],
       "labelled_share": d["trust"]["labelled_share"], "bar_met": d["trust"]["labelled_share"] >= 0.8,
       "first_token_tv": ft and round(0.5 * sum(abs(ft[k] - truth[k]) for k in truth), 4)}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
