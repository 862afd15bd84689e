#!/usr/bin/env bash
# Probe validation (design: bench/probe.md): bases made with conf/base.conf on known mixes are probed with N
# samples, calibrated on the pretraining text minus what each base trained on (= its held-out documents, whatever
# folder the committed base's record names), the first-token estimate's reference being all of that text; every
# estimator's shares are compared with the known mix: total variation (TV), whether each domain's 95% interval
# holds its true share, and the calibration's own spread. Target: the default estimator's TV <= 0.05 and at least
# 5 of 6 intervals covering, on each base.
# Usage: bench/probe.sh DATA_DIR CLASSIFIER_DIR   -> bench/results/probe-<UTC date>.json
#   CLASSIFIER_DIR: versatune classifier train --set classifier.max-iter=40 --input DATA_DIR/sft --input DATA_DIR/pretrain
#   BASES="experiment skewed heldout" (the default) picks the bases: experiment = bench/results/base (bench/base.sh);
#   skewed (law-heavy) and heldout (science-heavy, the check the estimator's choices were not tuned on) =
#   conf/base.conf on the mixes below, trained here (resumable, about 60-80 minutes each). PROBE_SAMPLES (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/probe.sh DATA_DIR CLASSIFIER_DIR}" && pwd)"
clf="${2:?usage: bench/probe.sh DATA_DIR CLASSIFIER_DIR}"
samples="${PROBE_SAMPLES:-2000}"
source conf/env.sh
work=bench/work/probe
mkdir -p "$work" bench/results
opts="-Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g"
declare -A MIX=(
  [experiment]="general=0.35,code=0.25,science=0.15,law=0.10,medicine=0.10,finance=0.05"
  [skewed]="law=0.40,medicine=0.25,finance=0.15,science=0.10,code=0.05,general=0.05"
  [heldout]="science=0.35,finance=0.25,medicine=0.15,code=0.10,general=0.10,law=0.05"
)
declare -A BASE=([experiment]=bench/results/base [skewed]="$work/skewed/base" [heldout]="$work/heldout/base")
bases="${BASES:-experiment skewed heldout}"
for name in $bases; do
  if [ "$name" != experiment ]; then
    VERSATUNE_JAVA_OPTS="$opts" ./versatune pretrain --conf conf/base.conf --input "$data/pretrain" --mix "${MIX[$name]}" \
      --output "${BASE[$name]}" --resume
  fi
  VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "${BASE[$name]}" --classifier "$clf" --samples "$samples" \
    --calibration "$data/pretrain" --output "$work/$name/probe-$samples"
  # the first-token estimate again from the held-out documents alone (the same samples)
  VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "${BASE[$name]}" --classifier "$clf" \
    --samples-input "$work/$name/probe-$samples"/samples/domain=*/*.parquet --calibration "$data/pretrain" \
    --set versatune.probe.first-token.include-trained=false --output "$work/$name/probe-$samples-heldout-reference"
done
out="bench/results/probe-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work" "$out" "$samples" "$bases" "${MIX[experiment]}" "${MIX[skewed]}" "${MIX[heldout]}" <<'PY'
import json, sys
work, out, n, bases = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
mixes = {"experiment": sys.argv[5], "skewed": sys.argv[6], "heldout": sys.argv[7]}
res = {"command": "bench/probe.sh DATA_DIR CLASSIFIER_DIR", "samples": n, "bases": {}}
for name in bases:
    truth = {k: float(v) for k, v in (p.split("=") for p in mixes[name].split(","))}
    d = json.load(open(f"{work}/{name}/probe-{n}/distribution.json"))
    tv = lambda p: round(0.5 * sum(abs(p[k] - truth[k]) for k in truth), 4)
    est = {}
    for m, e in d["estimates"].items():
        row = {"shares": e["shares"], "tv": tv(e["shares"])}
        if "low" in e:
            row.update(low=e["low"], high=e["high"])
            row["covered"] = sum(1 for k in truth if e["low"][k] - 1e-12 <= truth[k] <= e["high"][k] + 1e-12)
        for extra in ("kl_nats", "effective_draws", "reference_documents"):
            if extra in e:
                row[extra] = e[extra]
        est[m] = row
    h = json.load(open(f"{work}/{name}/probe-{n}-heldout-reference/distribution.json"))["estimates"].get("first-token")
    if h:
        est["first-token, held-out reference"] = {"shares": h["shares"], "tv": tv(h["shares"]), "low": h["low"], "high": h["high"],
            "covered": sum(1 for k in truth if h["low"][k] - 1e-12 <= truth[k] <= h["high"][k] + 1e-12),
            "kl_nats": h["kl_nats"], "reference_documents": h["reference_documents"]}
    res["bases"][name] = {"mix": truth, "labelled_share": d["trust"]["labelled_share"], "estimator": d["estimator"],
                          "trust": d["trust"], "estimates": est,
                          "calibration_spread_sd": d.get("calibration", {}).get("spread_sd"),
                          "calibration_documents": {k: len(v) for k, v in d.get("calibration", {}).get("documents", {}).items()}}
json.dump(res, open(out, "w"), indent=2)
for name, b in res["bases"].items():
    print(f"{name}: labelled {b['labelled_share']:.3f}, default {b['estimator']}, verdict {b['trust']['verdict']}")
    for m, e in b["estimates"].items():
        print(f"  {m:32s} TV {e['tv']:.4f}" + (f", intervals covering {e['covered']}/6" if "covered" in e else ""))
print("results:", out)
PY
