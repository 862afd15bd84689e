#!/usr/bin/env bash
# Base-model recipe sweep (bench/base-sweep.md): shapes A-D pretrained on the experiment's mix for the same
# training wall-clock each, then probed with 500 samples.
# Usage: bench/base-sweep.sh DATA_DIR CLASSIFIER_DIR [MINUTES]   -> bench/results/base-sweep-<UTC date>.json
# SHAPES="A B C D" (the default) picks shapes; resumable (a finished base or probe is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/base-sweep.sh DATA_DIR CLASSIFIER_DIR [MINUTES]}" && pwd)"
clf="${2:?usage: bench/base-sweep.sh DATA_DIR CLASSIFIER_DIR [MINUTES]}"
minutes="${3:-8}"
source conf/env.sh
work=bench/work/base-sweep
mkdir -p "$work" bench/results
mix="general=0.35,code=0.25,science=0.15,law=0.10,medicine=0.10,finance=0.05"
declare -A SHAPE=(
  [A]="d-model=128 layers=4 heads=4 lr=3.0e-3"
  [B]="d-model=192 layers=4 heads=4 lr=2.0e-3"
  [C]="d-model=256 layers=4 heads=4 lr=1.5e-3"
  [D]="d-model=384 layers=4 heads=6 lr=1.0e-3"
)
opts="-Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g"
sets_of() {
  local -A p=()
  for kv in ${SHAPE[$1]}; do p[${kv%%=*}]="${kv#*=}"; done
  echo "--set lm.model.d-model=${p[d-model]} --set lm.model.layers=${p[layers]} --set lm.model.heads=${p[heads]} --set lm.train.learning-rate=${p[lr]}"
}
# every shape's one-core training rate first, back to back (two workers run at about twice it)
for s in ${SHAPES:-A B C D}; do
  if [ ! -f "$work/$s/rate.json" ]; then
    mkdir -p "$work/$s"
    # shellcheck disable=SC2046
    VERSATUNE_JAVA_OPTS="-Xmx4g -XX:ActiveProcessorCount=1" ./versatune bench lm --steps 6 $(sets_of "$s") | tail -n 1 > "$work/$s/rate.json"
  fi
done
for s in ${SHAPES:-A B C D}; do
  rate="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens_per_s"])' "$work/$s/rate.json")"
  tokens="$(python3 -c "print(int(2 * $rate * 60 * $minutes))")"
  echo "shape $s: ${SHAPE[$s]}, one core $rate tokens/s -> budget $tokens tokens" >&2
  # shellcheck disable=SC2046
  VERSATUNE_JAVA_OPTS="$opts" ./versatune pretrain --input "$data/pretrain" --mix "$mix" --tokens "$tokens" \
    $(sets_of "$s") --set lm.train.partitions=2 --set lm.train.local-steps=8 --output "$work/$s/base" --resume
  VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "$work/$s/base" --classifier "$clf" --samples 500 \
    --output "$work/$s/probe-500"
done
out="bench/results/base-sweep-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work" "$out" "$mix" "$minutes" ${SHAPES:-A B C D} <<'PY'
import json, sys
work, out, mix, minutes, shapes = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:]
w = {k: float(v) for k, v in (p.split("=") for p in mix.split(","))}
res = {"command": "bench/base-sweep.sh DATA_DIR CLASSIFIER_DIR %g" % minutes, "mix": w, "minutes": minutes, "shapes": {}}
for s in shapes:
    st = json.load(open(f"{work}/{s}/base/stats.json"))
    pr = json.load(open(f"{work}/{s}/probe-500/stats.json"))
    rate = json.load(open(f"{work}/{s}/rate.json"))
    m = st["model"]
    nonemb = 12 * m["layers"] * m["d_model"] ** 2
    loss = st["heldout_loss_final"]
    res["shapes"][s] = {
        "d_model": m["d_model"], "layers": m["layers"], "heads": m["heads"], "parameters": m["parameters"],
        "non_embedding_parameters": nonemb, "tokens": st["tokens_trained"],
        "tokens_per_parameter": round(st["tokens_trained"] / m["parameters"], 2),
        "one_core_tokens_per_s": rate["tokens_per_s"], "train_seconds": st["train_seconds"],
        "train_tokens_per_s": st["train_tokens_per_s"], "stage_seconds": st["seconds"],
        "heldout_loss": loss, "heldout_loss_mix_weighted": round(sum(w[d] * loss[d] for d in w), 4),
        "heldout_loss_initial": st["heldout_loss_initial"],
        "probe_labelled_share": round(pr["labeled"] / pr["samples"], 4)}
json.dump(res, open(out, "w"), indent=2)
for s, r in res["shapes"].items():
    print(f"{s}: d={r['d_model']} L={r['layers']} {r['parameters']/1e6:.2f}M params, {r['tokens']/1e6:.2f}M tokens in "
          f"{r['train_seconds']:.0f} s ({r['train_tokens_per_s']} tok/s), held-out {r['heldout_loss_mix_weighted']}, "
          f"labelled {r['probe_labelled_share']}")
print("results:", out)
PY
