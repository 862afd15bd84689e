#!/usr/bin/env bash
# Models in and out (design in bench/hf-import.md). Out: the committed experiment base exported as a GPT-2 folder
# and read back by the independent PyTorch reference, which must give the token ids, mean NLL and top-5 logits
# `versatune score` gives on 24 texts of the bundled sample. In, at GPT-2 small's scale: the reference writes a random
# GPT-2-shaped folder (124M parameters); `versatune import` reads it (wall time, peak memory); `versatune bench lm
# --model` measures the imported model's training and generation tokens/s on this machine; an import under a heap
# too small for it must stop with the memory guard's message.
# Usage: bench/hf-import.sh        Writes bench/results/hf-import-<UTC date>.json
set -euo pipefail
cd "$(dirname "$0")/.."
source conf/env.sh
TORCH_PEER_EXTRA="python3-regex time" source bench/torch-peer.sh
work=bench/work/hf-124m
rm -rf "$work" && mkdir -p "$work"
python3 - "$work/texts.jsonl" <<'PY'
import gzip, json, sys
with open(sys.argv[1], "w") as out:
    for d in ["law", "medicine", "finance", "science", "code", "general"]:
        with gzip.open(f"samples/sft/{d}.jsonl.gz", "rt") as f:
            for i, line in zip(range(4), f):
                r = json.loads(line)
                out.write(json.dumps({"id": f"{d}-{i}", "text": (r["instruction"] + "\n" + r["output"])[:600]}) + "\n")
PY
./versatune export --model bench/results/base --output "$work/base-hf"
./versatune score --model bench/results/base --input "$work/texts.jsonl" --output "$work/base-scores.json"
/usr/bin/python3 pipeline/src/test/reference/hf_reference.py --check "$work/base-hf" "$work/texts.jsonl" "$work/base-scores.json" \
  > "$work/export-check.json"
/usr/bin/python3 pipeline/src/test/reference/hf_reference.py --gpt2-124m "$work/hf" > "$work/parameters"
opts="-Xmx8g -Dorg.bytedeco.javacpp.maxbytes=8g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g"
VERSATUNE_JAVA_OPTS="$opts" /usr/bin/time -v -o "$work/import.time" \
  ./versatune import --input "$work/hf" --output "$work/model" > "$work/import.json"
VERSATUNE_JAVA_OPTS="-Xmx512m" ./versatune import --input "$work/hf" --output "$work/refused" > /dev/null 2> "$work/refused.err" \
  && { echo "an import under a 512 MB heap was expected to be refused" >&2; exit 1; }
VERSATUNE_JAVA_OPTS="$opts" ./versatune bench lm --model "$work/model" --steps 3 --set lm.train.tokens-per-batch=1024 \
  --set lm.generate.batch-rows=8 --set lm.generate.max-tokens=32 | tee "$work/bench.log"
out="bench/results/hf-import-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work" "$out" <<'PY'
import json, re, sys
work, out = sys.argv[1], sys.argv[2]
timing = open(f"{work}/import.time").read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", timing).group(1)
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
bench = json.loads(open(f"{work}/bench.log").read().strip().splitlines()[-1])
refused = [l for l in open(f"{work}/refused.err") if "import" in l and "memory" in l]
r = {"command": "bench/hf-import.sh",
     "export_of_the_experiment_base_read_by_the_pytorch_reference": json.loads(open(f"{work}/export-check.json").read()),
     "parameters_written": int(open(f"{work}/parameters").read()),
     "import": json.loads(open(f"{work}/import.json").read()), "import_wall_clock": wall,
     "import_peak_rss_mb": round(rss_kb / 1024), "refused_under_512mb_heap": refused[0].strip() if refused else None,
     "bench_lm": bench}
json.dump(r, open(out, "w"), indent=1)
print(json.dumps({k: r[k] for k in ("parameters_written", "import_wall_clock", "import_peak_rss_mb")}))
print(out)
PY
