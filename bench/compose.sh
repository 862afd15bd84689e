#!/usr/bin/env bash
# Compose at scale (issue: probe and compose): the SFT pool replicated with new ids to 1M and 10M records, the
# compose stage timed from each (60,000 drawn, the paper's per-epoch budget). Target: under 5 minutes for 10M,
# close to linear growth. Needs about 10 GB of disk under bench/work.
# Usage: bench/compose.sh DATA_DIR   -> bench/results/compose-<UTC date>.json
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench/compose.sh DATA_DIR}"
source conf/env.sh
mkdir -p bench/work bench/results
VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx12g}" ./versatune bench compose --input "$data/sft" --records 1000000,10000000 \
  --set spark.shuffle-partitions=16 | tee bench/work/compose.log
out="bench/results/compose-$(date -u +%Y%m%dT%H%M%SZ).json"
tail -n 1 bench/work/compose.log | python3 -c 'import json,sys; r=json.load(sys.stdin); r["command"]="bench/compose.sh DATA_DIR"; json.dump(r, open(sys.argv[1],"w"), indent=2)' "$out"
echo "results: $out" >&2
