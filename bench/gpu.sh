#!/usr/bin/env bash
# The LM speed benchmark on the ND4J CUDA backend, where an NVIDIA GPU is present.
# Needs: an NVIDIA driver for CUDA 11.6 (the ND4J 1.0.0-M2.1 CUDA build), and either a CUDA 11.6 runtime on the host
# or the bytedeco redistributable (REDIST=1 adds -Pcuda-redist, about 1.8 GB of downloads). The CUDA backend jar
# (nd4j-cuda-11.6, linux-x86_64, about 601 MB) is downloaded by this build; the CPU jar is not used.
# Usage: bench/gpu.sh [versatune options]   -> bench/results/gpu-<UTC date>.json (with the card's name)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null 2>&1 || { echo "no NVIDIA GPU here (nvidia-smi not found)" >&2; exit 2; }
card="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
profiles="-Pcuda"
[ "${REDIST:-0}" = 1 ] && profiles="-Pcuda,cuda-redist"
mvn -B -q $profiles -DskipTests package
mkdir -p bench/work bench/results
export OMP_NUM_THREADS="$(nproc --all)" OMP_WAIT_POLICY=PASSIVE
java -Xmx16g @conf/jvm-options -Dlog4j2.configurationFile=conf/log4j2.properties \
  -cp "jobs/target/versatune.jar:$(cat jobs/target/provided-classpath.txt)" org.versatune.jobs.Main bench lm --steps 20 "$@" \
  | tee bench/work/gpu.log
out="bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ).json"
tail -n 1 bench/work/gpu.log | python3 -c 'import json,sys; r=json.load(sys.stdin); r["gpu"]=sys.argv[2]; r["command"]="bench/gpu.sh"; json.dump(r, open(sys.argv[1],"w"), indent=2)' "$out" "$card"
echo "results: $out ($card)" >&2
# Rebuild the CPU jar afterwards for local runs: mvn -B -DskipTests package
