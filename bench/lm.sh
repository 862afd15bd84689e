#!/usr/bin/env bash
# Language-model speed benchmark (issue: LM speed). Measures, in one run on this machine:
#   the fp32 GEMM peak (best of ND4J and numpy), training tokens/s of the configured model in one process
#   using every core, FLOPs per token, MFU, generation tokens/s; and the same model in Debian's PyTorch.
# Usage: bench/lm.sh [versatune options, e.g. --set lm.model.activation=gelu]
# Writes bench/results/lm-<UTC date>.json (and prints it).
set -euo pipefail
cd "$(dirname "$0")/.."
source conf/env.sh
mkdir -p bench/work bench/results

# the peer: Debian's PyTorch, with OpenBLAS behind its generic BLAS interface
source bench/torch-peer.sh

VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx12g} -Dversatune.lm.profile=true" ./versatune bench lm --steps 10 "$@" | tee bench/work/lm.log
ours="$(tail -n 1 bench/work/lm.log)"
model="$(echo "$ours" | python3 -c 'import json,sys; m=json.load(sys.stdin)["model"]; print(m["d_model"], m["layers"], m["heads"], m["context"], m["vocab_size"], m["activation"])')"
read -r d layers heads ctx vocab act <<<"$model"
rows="$(echo "$ours" | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch"]["rows"])')"
peer="$(/usr/bin/python3 bench/torch_lm.py --d-model "$d" --layers "$layers" --heads "$heads" --context "$ctx" \
        --vocab "$vocab" --rows "$rows" --activation "$act" --threads "$(nproc --all)" | tail -n 1)"
out="bench/results/lm-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$ours" "$peer" "$out" <<'PY'
import json, sys
ours, peer, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
ours["peer_pytorch"] = peer
ours["speedup_vs_pytorch"] = round(ours["tokens_per_s"] / peer["tokens_per_s"], 2)
ours["command"] = "bench/lm.sh"
json.dump(ours, open(out, "w"), indent=2)
print(json.dumps(ours))
PY
echo "results: $out" >&2
