#!/usr/bin/env bash
# Classifier benchmark (issue: foundation/classifier). Our classifier vs fastText 0.9.2 (Debian) on the same
# seeded split of the SFT pool: macro-F1 and classification records/s, side by side; plus the production
# classifier (SFT + prose chunks) and its accuracy on held-out prose.
# Usage: bench/classifier.sh DATA_DIR   (DATA_DIR holds sft/ and pretrain/, see its MANIFEST.md)
# Writes bench/results/classifier-<UTC date>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench/classifier.sh DATA_DIR}"
source conf/env.sh
mkdir -p bench/work bench/results
command -v fasttext >/dev/null 2>&1 || { echo "installing fasttext (Debian)" >&2; apt-get install -y -qq fasttext >/dev/null; }
VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx12g}" ./versatune bench classifier --input "$data/sft" --text "$data/pretrain" \
  --work bench/work/classifier | tee bench/work/classifier.log
out="bench/results/classifier-$(date -u +%Y%m%dT%H%M%SZ).json"
tail -n 1 bench/work/classifier.log | python3 -c 'import json,sys; r=json.load(sys.stdin); r["command"]="bench/classifier.sh DATA_DIR"; json.dump(r, open(sys.argv[1],"w"), indent=2)' "$out"
echo "results: $out" >&2
