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
#   conf/base.conf on the mixes below, trained here (resumable, about 60-80 minutes each). The third round's layouts
#   (bench/probe.md): packed = GPT-2-shaped, packed-eos; llama = Llama-shaped, document-bos; with BASES including
#   llama, that base is also exported as a Hugging Face folder, imported back and probed on the same samples (the
#   round trip). The fourth round (bench/probe.md): packed-sections and llama-sections = packed and llama on the text
#   cut into sections of at most 800 characters (bench/sections.py, made once in bench/work/probe/sections/), each in
#   its own folder (llama-sections also makes the round trip). PROBE_SAMPLES (default 2000). Truth: the mix each base realised (its stats.json), else the one asked.
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
  [packed]="law=0.20,medicine=0.05,finance=0.10,science=0.25,code=0.15,general=0.25"
  [llama]="law=0.15,medicine=0.30,finance=0.20,science=0.05,code=0.20,general=0.10"
  [packed-sections]="law=0.20,medicine=0.05,finance=0.10,science=0.25,code=0.15,general=0.25"
  [llama-sections]="law=0.15,medicine=0.30,finance=0.20,science=0.05,code=0.20,general=0.10"
)
# what else each base's pretraining sets (conf/base.conf otherwise)
declare -A SHAPE=(
  [skewed]="" [heldout]=""
  [packed]="--set versatune.lm.pretrain.layout=packed-eos"
  [packed-sections]="--set versatune.lm.pretrain.layout=packed-eos"
  [llama]="--set versatune.lm.pretrain.layout=document-bos --set versatune.lm.model.family=llama --set versatune.lm.model.heads=6
           --set versatune.lm.model.llama.kv-heads=2 --set versatune.lm.model.llama.hidden=512"
  [llama-sections]="--set versatune.lm.pretrain.layout=document-bos --set versatune.lm.model.family=llama --set versatune.lm.model.heads=6
           --set versatune.lm.model.llama.kv-heads=2 --set versatune.lm.model.llama.hidden=512"
)
declare -A BASE=([experiment]=bench/results/base [skewed]="$work/skewed/base" [heldout]="$work/heldout/base"
                 [packed]="$work/packed/base" [llama]="$work/llama/base" [packed-sections]="$work/packed-sections/base"
                 [llama-sections]="$work/llama-sections/base")
# the text each base trains on and is probed with: the pretraining folder, or its sections (fourth round)
sections="$work/sections"
declare -A TEXT=([llama-sections]="$sections" [packed-sections]="$sections")
bases="${BASES:-experiment skewed heldout}"
for name in $bases; do
  text="${TEXT[$name]:-$data/pretrain}"
  if [ "$text" = "$sections" ] && [ ! -f "$sections.done" ]; then
    python3 bench/sections.py "$data/pretrain" "$sections" 800 && touch "$sections.done"
  fi
  if [ "$name" != experiment ]; then
    VERSATUNE_JAVA_OPTS="$opts" ./versatune pretrain --conf conf/base.conf --input "$text" --mix "${MIX[$name]}" \
      --output "${BASE[$name]}" --resume ${SHAPE[$name]}
  fi
  # a probe that finished in an earlier session is kept (a re-run resumes; it never overwrites a finished output)
  [ -f "$work/$name/probe-$samples/distribution.json" ] || \
  VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "${BASE[$name]}" --classifier "$clf" --samples "$samples" \
    --calibration "$text" --output "$work/$name/probe-$samples"
  # the first-token estimate again from the held-out documents alone (the same samples)
  [ -f "$work/$name/probe-$samples-heldout-reference/distribution.json" ] || \
  VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "${BASE[$name]}" --classifier "$clf" \
    --samples-input "$work/$name/probe-$samples"/samples/domain=*/*.parquet --calibration "$text" \
    --set versatune.probe.first-token.include-trained=false --output "$work/$name/probe-$samples-heldout-reference"
  if [ "${name%-sections}" = llama ] && [ ! -f "$work/$name/probe-$samples-imported/distribution.json" ]; then
    # the round trip: out as a Hugging Face folder, back in (an import records no layout: it is named), the same samples
    rm -rf "$work/$name/hf" "$work/$name/imported" "$work/$name/probe-$samples-imported"
    ./versatune export --model "${BASE[$name]}" --output "$work/$name/hf"
    ./versatune import --input "$work/$name/hf" --output "$work/$name/imported"
    # what the base trained on and held out is not part of a Hugging Face folder: kept beside the import, as a user
    # who made the base would, so both copies calibrate on the same held-out documents
    cp "${BASE[$name]}/pretrain-documents.json" "$work/$name/imported/"
    VERSATUNE_JAVA_OPTS="$opts" ./versatune probe --model "$work/$name/imported" --classifier "$clf" \
      --samples-input "$work/$name/probe-$samples"/samples/domain=*/*.parquet --calibration "$text" \
      --set versatune.probe.layout=document-bos --output "$work/$name/probe-$samples-imported"
  fi
done
out="bench/results/probe-$(date -u +%Y%m%dT%H%M%SZ).json"
mixes=""; dirs=""; sectioned=""
for name in $bases; do
  mixes="$mixes $name=${MIX[$name]}"; dirs="$dirs $name=${BASE[$name]}"
  [ -n "${TEXT[$name]:-}" ] && sectioned="$sectioned $name"
done
python3 - "$work" "$out" "$samples" "$bases" "$mixes" "$dirs" "$sectioned" <<'PY'
import json, os, sys
work, out, n, bases = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
sectioned = sys.argv[7].split()
mixes = dict(m.split("=", 1) for m in sys.argv[5].split())
dirs = dict(m.split("=", 1) for m in sys.argv[6].split())
res = {"command": "BASES=\"" + " ".join(bases) + "\" bench/probe.sh DATA_DIR CLASSIFIER_DIR", "samples": n, "bases": {}}
for name in bases:
    asked = {k: float(v) for k, v in (p.split("=") for p in mixes[name].split(","))}
    stats = os.path.join(dirs[name], "stats.json")
    realised = json.load(open(stats)).get("mix_realised") if os.path.exists(stats) else None
    truth = realised or asked
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
    model = os.path.join(dirs[name], "model.json")
    base = json.load(open(model)) if os.path.exists(model) else {}
    trip = None
    if name.startswith("llama"):   # the same estimate from the exported and imported copy, per estimator
        imp = json.load(open(f"{work}/{name}/probe-{n}-imported/distribution.json"))["estimates"]
        trip = {m: max(abs(imp[m]["shares"][k] - e["shares"][k]) for k in truth) for m, e in d["estimates"].items() if m in imp}
    res["bases"][name] = {"mix": truth, "mix_asked": asked, "truth": "realised" if realised else "asked", "model": base,
                          "text": "DATA_DIR/pretrain cut into sections of at most 800 characters (bench/sections.py)"
                                  if name in sectioned else "DATA_DIR/pretrain",
                          "round_trip_max_abs_difference": trip,
                          "labelled_share": d["trust"]["labelled_share"], "estimator": d["estimator"],
                          "trust": d["trust"], "estimates": est,
                          "calibration_spread_sd": d.get("calibration", {}).get("spread_sd"),
                          "calibration_documents": {k: len(v) for k, v in d.get("calibration", {}).get("documents", {}).items()}}
json.dump(res, open(out, "w"), indent=2)
for name, b in res["bases"].items():
    print(f"{name}: labelled {b['labelled_share']:.3f}, default {b['estimator']}, verdict {b['trust']['verdict']}")
    for m, e in b["estimates"].items():
        print(f"  {m:32s} TV {e['tv']:.4f}" + (f", intervals covering {e['covered']}/6" if "covered" in e else ""))
    if b["round_trip_max_abs_difference"] is not None:
        print("  round trip (export, import, probe), max |difference| per estimator:", b["round_trip_max_abs_difference"])
print("results:", out)
PY
