#!/usr/bin/env bash
# Time per training stage (issue: staged training) on the default experiment model, split into compose / train /
# eval / update / checkpoint, with 1 and 2 data-parallel partitions.
# Usage: bench/train.sh DATA_DIR BASE_MODEL   -> bench/results/train-<UTC date>.json
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench/train.sh DATA_DIR BASE_MODEL}"
base="${2:?usage: bench/train.sh DATA_DIR BASE_MODEL}"
source conf/env.sh
work=bench/work/train
mkdir -p "$work" bench/results
echo '{"law": 2.0, "medicine": 2.0, "finance": 2.0, "science": 2.0, "code": 2.0, "general": 2.0}' > "$work/reference.json"
for p in 1 2; do
  ./versatune train --model "$base" --pool "$data/sft" --eval "$data/sft" --weights uniform --stages 2 --stage-size 480 \
    --reference "$work/reference.json" --set lm.train.partitions=$p --set train.eval-max-records=80 --output "$work/partitions-$p" --overwrite
done
out="bench/results/train-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work" "$out" <<'PY'
import json, sys
work, out = sys.argv[1], sys.argv[2]
res = {"command": "bench/train.sh DATA_DIR BASE_MODEL", "stage_size": 480, "runs": {}}
for p in (1, 2):
    stages = {}
    for k in (1, 2):
        st = json.load(open(f"{work}/partitions-{p}/stage-{k}/state.json"))
        stages[k] = dict(st["seconds"], steps=st["step_end"] - st["step_start"])
    res["runs"][f"{p} partition" + ("s" if p > 1 else "")] = stages
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=1)); print("results:", out)
PY
