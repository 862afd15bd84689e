#!/usr/bin/env bash
# 16-bit checkpoints at the paper's sizes (design in bench/hf-import.md). For each shape: a random BF16 folder
# written by bench/hf_16bit.py; `versatune import` reads it, keeping the weights in BF16 (seconds and peak resident
# memory from /usr/bin/time -v); `versatune bench lm --steps 0` generates from the imported model at 8 and 64 rows
# (tokens/s; no training: fine-tuning would widen to fp32 master weights). For the Qwen2.5-0.5B shape, PyTorch
# (Debian's python3-torch, fp32 weights, KV cache, every core) generates on the same folder beside it.
# Usage: bench/hf-16bit.sh [qwen25-0.5b] [llama31-8b]     (default: both; each needs the memory noted below)
#   qwen25-0.5b: 494M parameters, 1 GB of BF16; about 4 GB of RAM for us, 3 GB for PyTorch's fp32 copy
#   llama31-8b:  8.03B parameters, 16 GB of BF16; about 20 GB of RAM, 17 GB of disk
# Writes bench/results/hf-16bit-<shape>-<UTC date>.json per shape.
set -euo pipefail
cd "$(dirname "$0")/.."
source conf/env.sh
TORCH_PEER_EXTRA="python3-regex time" source bench/torch-peer.sh
shapes=("$@")
[ ${#shapes[@]} -eq 0 ] && shapes=(qwen25-0.5b llama31-8b)
tokens=32
for shape in "${shapes[@]}"; do
  case "$shape" in
    qwen25-0.5b) opts="-Xmx2g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=8g" ;;
    llama31-8b) opts="-Xmx2g -Dorg.bytedeco.javacpp.maxbytes=21g -Dorg.bytedeco.javacpp.maxphysicalbytes=22g" ;;
    *) echo "unknown shape '$shape' (qwen25-0.5b, llama31-8b)" >&2; exit 2 ;;
  esac
  work="bench/work/hf-16bit/$shape"
  rm -rf "$work" && mkdir -p "$work"
  /usr/bin/python3 bench/hf_16bit.py write "$shape" "$work/hf" > "$work/parameters"
  VERSATUNE_JAVA_OPTS="$opts" /usr/bin/time -v -o "$work/import.time" \
    ./versatune import --input "$work/hf" --output "$work/model" > "$work/import.json"
  VERSATUNE_JAVA_OPTS="$opts" /usr/bin/time -v -o "$work/generate.time" \
    ./versatune bench lm --model "$work/model" --steps 0 --generate-rows 8,64 --set lm.generate.max-tokens=$tokens \
    | tee "$work/bench.log"
  : > "$work/torch.jsonl"
  if [ "$shape" = qwen25-0.5b ]; then
    for rows in 8 64; do
      /usr/bin/time -v -o "$work/torch-$rows.time" /usr/bin/python3 bench/hf_16bit.py generate "$work/hf" "$rows" "$tokens" \
        >> "$work/torch.jsonl"
    done
  fi
  out="bench/results/hf-16bit-$shape-$(date -u +%Y%m%dT%H%M%SZ).json"
  python3 - "$work" "$out" "$shape" "$*" <<'PY'
import json, re, sys
work, out, shape, args = sys.argv[1:5]
def timing(f):
    t = open(f).read()
    return {"wall_clock": re.search(r"Elapsed \(wall clock\) time.*: (\S+)", t).group(1),
            "peak_rss_mb": round(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024),
            "major_page_faults": int(re.search(r"Major \(requiring I/O\) page faults: (\d+)", t).group(1)),
            "swaps": int(re.search(r"Swaps: (\d+)", t).group(1))}
bench = json.loads(open(f"{work}/bench.log").read().strip().splitlines()[-1])
torch = [json.loads(l) for l in open(f"{work}/torch.jsonl") if l.strip()]
for t in torch:
    t.update({"process": timing(f"{work}/torch-{t['rows']}.time")})
r = {"command": ("bench/hf-16bit.sh " + args).strip(), "shape": shape,
     "parameters_written": int(open(f"{work}/parameters").read()),
     "import": json.loads(open(f"{work}/import.json").read()), "import_process": timing(f"{work}/import.time"),
     "generate_process": timing(f"{work}/generate.time"),
     "ours": {k: bench.get(k) for k in ("threads", "stored_dtype", "parameter_bytes", "generation")},
     "pytorch": torch}
json.dump(r, open(out, "w"), indent=1)
print(json.dumps({"shape": shape, "import": r["import_process"], "ours": r["ours"]["generation"],
                  "pytorch": [{k: t[k] for k in ("rows", "tokens_per_s")} for t in torch]}))
print(out)
PY
done
