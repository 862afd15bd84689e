#!/usr/bin/env bash
# Probe validation (issue: probe and compose): pretrain two base models on clearly different known mixes
# (code-heavy, law-heavy), probe each with N samples, and report the total-variation distance of the raw and the
# corrected distribution from the known mix. Target: TV <= 0.05 for both, corrected closer than raw. The largest N is
# probed again with the calibration (probe --calibration), whose corrected shares are reported as "<N>-calibrated".
# Usage: bench/probe.sh DATA_DIR CLASSIFIER_DIR [TOKENS]   -> bench/results/probe-<UTC date>.json
# PROBE_SAMPLES="500 2000 5000" (the default) sets the sample counts tried.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench/probe.sh DATA_DIR CLASSIFIER_DIR [TOKENS]}"
clf="${2:?usage: bench/probe.sh DATA_DIR CLASSIFIER_DIR [TOKENS]}"
tokens="${3:-1000000}"
samples="${PROBE_SAMPLES:-500 2000 5000}"
source conf/env.sh
work=bench/work/probe
mkdir -p "$work" bench/results
declare -A MIX=(
  [code-heavy]="law=0.05,medicine=0.10,finance=0.05,science=0.10,code=0.60,general=0.10"
  [law-heavy]="law=0.60,medicine=0.10,finance=0.10,science=0.05,code=0.05,general=0.10"
)
for name in code-heavy law-heavy; do
  ./versatune pretrain --input "$data/pretrain" --mix "${MIX[$name]}" --tokens "$tokens" --output "$work/$name/base" --resume
  for n in $samples; do
    ./versatune probe --model "$work/$name/base" --classifier "$clf" --samples "$n" --output "$work/$name/probe-$n"
  done
  # the largest N again with the calibration (the model continues openings of the raw text of each domain)
  ./versatune probe --model "$work/$name/base" --classifier "$clf" --samples "$n" --calibration "$data/pretrain" \
    --output "$work/$name/probe-$n-calibrated"
done
out="bench/results/probe-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work" "$out" "${MIX[code-heavy]}" "${MIX[law-heavy]}" "$tokens" "$samples" <<'PY'
import json, sys
work, out, code, law, tokens = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
samples = [int(n) for n in sys.argv[6].split()]
mixes = {"code-heavy": code, "law-heavy": law}
res = {"command": "bench/probe.sh DATA_DIR CLASSIFIER_DIR %d" % tokens, "pretrain_tokens": tokens, "models": {}}
for name, spec in mixes.items():
    truth = {k: float(v) for k, v in (p.split("=") for p in spec.split(","))}
    runs = {}
    for n in samples:
        d = json.load(open(f"{work}/{name}/probe-{n}/distribution.json"))
        raw = {k: v["raw"] for k, v in d["domains"].items()}
        cor = {k: v["corrected"] for k, v in d["domains"].items()}
        tv = lambda p: 0.5 * sum(abs(p[k] - truth[k]) for k in truth)
        runs[n] = {"tv_raw": round(tv(raw), 4), "tv_corrected": round(tv(cor), 4), "unlabeled": d["unlabeled"],
                   "labeled": d["labeled"], "raw": raw, "corrected": cor}
    n = samples[-1]
    d = json.load(open(f"{work}/{name}/probe-{n}-calibrated/distribution.json"))
    cal = {k: v["corrected"] for k, v in d["domains"].items()}
    runs[f"{n}-calibrated"] = {"tv_raw": round(tv({k: v["raw"] for k, v in d["domains"].items()}), 4),
                               "tv_corrected": round(tv(cal), 4),
                               "tv_corrected_confusion": round(tv({k: v["corrected_confusion"] for k, v in d["domains"].items()}), 4),
                               "unlabeled": d["unlabeled"], "labeled": d["labeled"], "corrected": cal,
                               "calibration_rates": d["calibration"]["rates"], "calibration_labels": d["calibration"]["labels"]}
    res["models"][name] = {"mix": truth, "probes": runs}
json.dump(res, open(out, "w"), indent=2)
for name, m in res["models"].items():
    for n, r in m["probes"].items():
        print(f"{name} N={n}: TV raw {r['tv_raw']}, corrected {r['tv_corrected']}, unlabeled {r['unlabeled']}")
print("results:", out)
PY
