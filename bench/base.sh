#!/usr/bin/env bash
# The experiment's base model (issue: a base worth probing): conf/base.conf's recipe on the experiment's mix,
# resumable from its checkpoints; the finished model (no optimizer state), its stats and its record of trained and
# held-out documents are copied to bench/results/base/, which the experiment and the probe benchmark reuse.
# Usage: bench/base.sh DATA_DIR [WORK_DIR]   (re-run the same command after an interruption)
#   SIZE=small|large: the premise map's size axis instead (bench/premise-map.md, written before they train): the same
#   recipe, mix and data at d=128 on 21M tokens (1.07M parameters) or d=256 on 74M tokens (3.71M parameters), 20
#   tokens per parameter; work in bench/work/base-size-SIZE, result in bench/results/premise-map/size-SIZE/base/.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:?usage: bench/base.sh DATA_DIR [WORK_DIR]}" && pwd)"
shape=()
res=bench/results/base
case "${SIZE:-}" in
  "") work="${2:-bench/work/base}" ;;
  small) shape=(--set versatune.lm.model.d-model=128 --set versatune.lm.pretrain.tokens=21000000) ;;
  large) shape=(--set versatune.lm.model.d-model=256 --set versatune.lm.pretrain.tokens=74000000) ;;
  *) echo "SIZE is small or large, not '$SIZE'" >&2; exit 2 ;;
esac
if [ -n "${SIZE:-}" ]; then
  work="${2:-bench/work/base-size-$SIZE}"
  res="bench/results/premise-map/size-$SIZE/base"
fi
source conf/env.sh
VERSATUNE_JAVA_OPTS="${VERSATUNE_JAVA_OPTS:--Xmx8g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=16g}" \
  ./versatune pretrain --conf conf/base.conf --input "$data/pretrain" \
  --mix "general=0.35,code=0.25,science=0.15,law=0.10,medicine=0.10,finance=0.05" --output "$work" --resume "${shape[@]}"
rm -rf "$res" && mkdir -p "$res"
for f in model.json tokenizer.json params.bin state.json stats.json config.json pretrain-documents.json _VERSATUNE_SUCCESS; do
  cp "$work/$f" "$res/"
done
# results name the data folder by its role, not by where it lies on this machine
sed -i "s#$data#DATA_DIR#g" "$res"/config.json "$res"/stats.json "$res"/pretrain-documents.json
du -sh "$res" >&2
echo "base: $res" >&2
