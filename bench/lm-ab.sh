#!/usr/bin/env bash
# Training speed of two builds, alternating on the same hour (load drifts; alternating spreads it over both):
# `versatune bench lm` with conf/base.conf's shape on both cores, ROUNDS times each, the step profile on.
# Usage: bench/lm-ab.sh BEFORE_JAR AFTER_JAR   (each with its provided-classpath.txt beside it)
#   SHAPE=default: the default model (conf/reference.conf, bench/lm.sh's) instead of conf/base.conf's.
#   -> bench/results/lm-ab-<UTC date>.json
set -euo pipefail
cd "$(dirname "$0")/.."
before="$(cd "$(dirname "${1:?usage: bench/lm-ab.sh BEFORE_JAR AFTER_JAR}")" && pwd)/$(basename "$1")"
after="$(cd "$(dirname "${2:?usage: bench/lm-ab.sh BEFORE_JAR AFTER_JAR}")" && pwd)/$(basename "$2")"
rounds="${ROUNDS:-3}"
shape="${SHAPE:-base}"
case "$shape" in
  base) conf=(--conf conf/base.conf); label=conf/base.conf ;;
  default) conf=(); label="the default model" ;;
  *) echo "SHAPE is base or default, not '$shape'" >&2; exit 2 ;;
esac
out="bench/results/lm-ab-$(date -u +%Y%m%dT%H%M%SZ).json"
tmp="$(mktemp)"
for r in $(seq "$rounds"); do
  for side in before after; do
    jar=$before; [ "$side" = after ] && jar=$after
    line="$(VERSATUNE_JAVA_OPTS="-Dversatune.lm.profile=true" VERSATUNE_JAR="$jar" \
      ./versatune bench lm "${conf[@]}" --steps 20 2>/dev/null | tail -1)"
    echo "{\"side\": \"$side\", \"round\": $r, \"result\": $line}" >> "$tmp"
  done
done
python3 - "$tmp" "$out" "$rounds" "$shape" "$label" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
res = {"command": ("SHAPE=default " if sys.argv[4] == "default" else "") + "bench/lm-ab.sh BEFORE_JAR AFTER_JAR",
       "shape": sys.argv[5], "rounds": int(sys.argv[3]), "runs": rows}
for side in ("before", "after"):
    r = [x["result"] for x in rows if x["side"] == side]
    res[side] = {"tokens_per_s": [x["tokens_per_s"] for x in r],
                 "mean_tokens_per_s": round(statistics.mean(x["tokens_per_s"] for x in r), 1),
                 "mean_profile_ms": {k: round(statistics.mean(x["step_profile_ms"][k] for x in r), 1) for k in r[0]["step_profile_ms"]}}
    if all("generation_tokens_per_s" in x for x in r):
        res[side]["generation_tokens_per_s"] = [x["generation_tokens_per_s"] for x in r]
        res[side]["mean_generation_tokens_per_s"] = round(statistics.mean(res[side]["generation_tokens_per_s"]), 1)
res["speedup"] = round(res["after"]["mean_tokens_per_s"] / res["before"]["mean_tokens_per_s"], 3)
if "mean_generation_tokens_per_s" in res["before"] and "mean_generation_tokens_per_s" in res["after"]:
    res["generation_speedup"] = round(res["after"]["mean_generation_tokens_per_s"] / res["before"]["mean_generation_tokens_per_s"], 3)
json.dump(res, open(sys.argv[2], "w"), indent=2)
print(json.dumps({s: res[s]["tokens_per_s"] for s in ("before", "after")}), "speedup", res["speedup"],
      "generation speedup", res.get("generation_speedup"))
print("results:", sys.argv[2])
PY
rm -f "$tmp"
