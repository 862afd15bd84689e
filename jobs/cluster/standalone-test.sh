#!/usr/bin/env bash
# A real Spark standalone cluster on loopback: a master and two one-core workers started from the Spark jars the
# Maven build already has (a SPARK_HOME assembled from them, no downloads). The shaded jar is spark-submitted in
# client deploy mode for the pipeline (ingest -> classifier -> classify -> pretrain -> probe -> compose -> a short
# two-partition train, so two executors) and in cluster deploy mode for compose; results are compared with local
# mode (mixtures identical by fingerprint, final weights and probe shares equal within 1e-9). The full mode also kills an executor JVM
# (kill -9) mid training round and mid probe and checks the stages still give the undisturbed result. Everything is
# torn down at the end.
# Usage: jobs/cluster/standalone-test.sh [--reduced] [WORK_DIR]     (build first: mvn -B -DskipTests package)
set -euo pipefail
cd "$(dirname "$0")/../.."
REDUCED=0
if [ "${1:-}" = "--reduced" ]; then REDUCED=1; shift; fi
ROOT="$(pwd)"
WORK="$ROOT/${1:-bench/work/cluster}"
JAR="$ROOT/jobs/target/versatune.jar"
[ -f "$JAR" ] || { echo "build the jar first: mvn -B -DskipTests package" >&2; exit 1; }
source conf/env.sh

# spark-submit hygiene: the cluster provides Spark, Hadoop, log4j, Jackson and Guava
if unzip -l "$JAR" | awk '{print $4}' | grep -qE '^(org/apache/spark/SparkContext|org/apache/spark/sql/SparkSession|org/apache/hadoop/|org/apache/logging/log4j/|com/fasterxml/jackson/|com/google/common/)'; then
  echo "FAIL: $JAR bundles a library the cluster provides" >&2; exit 1
fi

rm -rf "$WORK"; mkdir -p "$WORK/spark-home/jars" "$WORK/spark-home/conf" "$WORK/logs"
tr ':' '\n' < jobs/target/provided-classpath.txt | while read -r j || [ -n "$j" ]; do [ -n "$j" ] && ln -s "$j" "$WORK/spark-home/jars/"; done
# a RELEASE file tells Spark's launcher this is a distribution (jars/), not a source checkout
echo "Spark $(basename "$(tr ':' '\n' < jobs/target/provided-classpath.txt | grep -m1 spark-core)" | sed 's/spark-core_//; s/.jar//') assembled from the Maven build" > "$WORK/spark-home/RELEASE"
cp conf/log4j2.properties "$WORK/spark-home/conf/log4j2.properties"
# the master's "Registering worker" lines are INFO and must reach its console log; library warnings to the work folder
printf '%s\n' 'logger.deploy.name = org.apache.spark.deploy' 'logger.deploy.level = info' 'logger.deploy.additivity = false' \
  'logger.deploy.appenderRef.stderr.ref = console' "appender.file.fileName = $WORK/logs/library.log" \
  >> "$WORK/spark-home/conf/log4j2.properties"
export SPARK_HOME="$WORK/spark-home" SPARK_LOCAL_IP=127.0.0.1 SPARK_SCALA_VERSION=2.12
OPENS="$(grep -v '^\s*$' conf/jvm-options | tr '\n' ' ')"
CP="$SPARK_HOME/conf:$SPARK_HOME/jars/*"
PORT=$((20000 + RANDOM % 20000))
PIDS=""
cleanup() { [ -n "$PIDS" ] && kill $PIDS 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
# shellcheck disable=SC2086
java $OPENS -Xmx512m -cp "$CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" --webui-port 0 \
  > "$WORK/logs/master.log" 2>&1 &
PIDS="$!"
for i in 1 2; do
  # shellcheck disable=SC2086
  java $OPENS -Xmx512m -cp "$CP" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 3g \
    --webui-port 0 --work-dir "$WORK/worker$i" "spark://127.0.0.1:$PORT" > "$WORK/logs/worker$i.log" 2>&1 &
  PIDS="$PIDS $!"
done
for _ in $(seq 90); do
  [ "$(grep -c 'Registering worker' "$WORK/logs/master.log" 2>/dev/null || true)" -ge 2 ] && break; sleep 1
done
[ "$(grep -c 'Registering worker' "$WORK/logs/master.log")" -ge 2 ] || { echo "FAIL: workers did not register" >&2; tail "$WORK"/logs/*.log; exit 1; }
echo "cluster up: spark://127.0.0.1:$PORT with 2 workers" >&2

CONF="$WORK/cluster-test.conf"
cat conf/tiny.conf > "$CONF"
cat >> "$CONF" <<'HOCON'
versatune.lm.train.partitions = 2
versatune.train.stages = 2
versatune.train.stage-size = 200
versatune.probe.samples = 128
HOCON

submit() {
  local mode="$1"; shift
  # shellcheck disable=SC2086
  java $OPENS -Xmx2g -cp "$CP" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$PORT" --deploy-mode "$mode" \
    --class org.versatune.jobs.Main --name "versatune-$1" \
    --conf spark.executor.memory=2g --conf spark.executor.cores=1 --conf spark.cores.max=2 \
    --conf spark.executorEnv.OMP_WAIT_POLICY=PASSIVE \
    --conf "spark.executor.extraJavaOptions=$OPENS" --conf "spark.driver.extraJavaOptions=$OPENS" \
    --conf spark.standalone.submit.waitAppCompletion=true \
    --files "$CONF" "$JAR" "$@" --conf cluster-test.conf --run-id cluster-test
}
local_run() { VERSATUNE_JAVA_OPTS="-Xmx4g" ./versatune "$@" --conf "$CONF" --run-id local-test; }

pipeline() {  # $1 = runner (submit client | local_run), $2 = output root
  local run="$1" out="$2" S="$ROOT/samples"
  $run ingest --input "$S/sft" --output "$out/ingest"
  if [ "$REDUCED" = 0 ]; then
    $run classifier train --input "$out/ingest/records" "$S/pretrain" --output "$out/classifier"
    $run classify --model "$out/classifier" --input "$S/pretrain" --output "$out/classified"
    $run pretrain --input "$S/pretrain" --mix "law=0.10,medicine=0.10,finance=0.05,science=0.15,code=0.25,general=0.35" \
      --tokens 150000 --output "$out/base"
    $run probe --model "$out/base" --classifier "$out/classifier" --output "$out/probe"
    # a base of 150k tokens is too small to be probed reliably: its probe is untrusted, and the test composes anyway
    $run compose --pool "$out/ingest/records" --weights versatune --distribution "$out/probe/distribution.json" --size 300 \
      --allow-untrusted-probe --output "$out/mixture"
    $run train --model "$out/base" --pool "$out/ingest/records" --eval "$S/sft" --weights versatune \
      --distribution "$out/probe/distribution.json" --allow-untrusted-probe --output "$out/train"
  else
    $run compose --pool "$out/ingest/records" --weights uniform --size 300 --output "$out/mixture"
  fi
}

echo "== local mode" >&2
pipeline local_run "$WORK/local"
echo "== client deploy mode, two executors" >&2
pipeline "submit client" "$WORK/client"
echo "== cluster deploy mode (compose)" >&2
if [ "$REDUCED" = 0 ]; then
  submit cluster compose --pool "$WORK/client/ingest/records" --weights versatune --distribution "$WORK/client/probe/distribution.json" \
    --size 300 --allow-untrusted-probe --output "$WORK/cluster-mode/mixture"
else
  submit cluster compose --pool "$WORK/client/ingest/records" --weights uniform --size 300 --output "$WORK/cluster-mode/mixture"
fi
for _ in $(seq 120); do [ -f "$WORK/cluster-mode/mixture/_VERSATUNE_SUCCESS" ] && break; sleep 1; done

# Executor loss (full mode): kill -9 one executor JVM in the middle of a data-parallel training round and in the
# middle of the probe's generation; the stage must complete through Spark's task retry (or, if it fails, complete
# with --resume) with the result of the undisturbed local run.
kill_executor_after() {  # $1 = console log of the submit, $2 = line that says the stage is under way, $3 = seconds after it
  for _ in $(seq 900); do
    if grep -q "$2" "$1" 2>/dev/null; then
      sleep "$3"
      local victim; victim="$(pgrep -n -f CoarseGrainedExecutorBackend || true)"
      [ -n "$victim" ] && kill -9 "$victim" && echo "killed executor JVM $victim during: $2" >&2 && echo "$victim" > "$1.killed"
      return
    fi
    sleep 0.2
  done
}
faulted() {  # $1 = name, $2 = line to wait for, $3 = seconds after it, then the command
  local name="$1" when="$2" delay="$3"; shift 3
  local log="$WORK/logs/executor-loss-$name.log"
  kill_executor_after "$log" "$when" "$delay" & local killer=$!
  if ! submit client "$@" > "$log" 2>&1; then
    # train continues from its checkpoints; a probe, whose unfinished output is discarded, simply runs again
    echo "$name failed after the executor loss; running it again" >&2
    if [ "$name" = train ]; then submit client "$@" --resume >> "$log" 2>&1; else submit client "$@" >> "$log" 2>&1; fi
  fi
  wait "$killer" || true
  [ -f "$log.killed" ] || { echo "FAIL: no executor was killed during $name" >&2; tail -20 "$log"; exit 1; }
}
if [ "$REDUCED" = 0 ]; then
  echo "== executor loss: kill -9 an executor mid-round (train) and mid-generation (probe)" >&2
  S="$ROOT/samples"
  # the first progress line comes after the first averaging round: half a second later the next one runs
  faulted train "train stage-1: " 0.5 train --model "$WORK/client/base" --pool "$WORK/client/ingest/records" --eval "$S/sft" \
    --weights versatune --distribution "$WORK/client/probe/distribution.json" --allow-untrusted-probe --output "$WORK/executor-loss/train"
  faulted probe "probe: generating .* samples" 1 probe --model "$WORK/client/base" --classifier "$WORK/client/classifier" \
    --output "$WORK/executor-loss/probe"
fi

python3 - "$WORK" "$REDUCED" <<'PY'
import json, sys
work, reduced = sys.argv[1], sys.argv[2] == "1"
def load(p): return json.load(open(p))
fp = {m: load(f"{work}/{m}/mixture/manifest.json")["mixture_fingerprint"] for m in ("local", "client", "cluster-mode")}
assert len(set(fp.values())) == 1, f"mixtures differ: {fp}"
print("mixtures identical in local, client and cluster deploy modes:", fp["local"])
if not reduced:
    a, b = load(f"{work}/local/train/summary.json"), load(f"{work}/client/train/summary.json")
    diff = max(abs(a["final_weights"][d] - b["final_weights"][d]) for d in a["final_weights"])
    assert diff <= 1e-9, f"final weights differ by {diff}"
    pa, pb = load(f"{work}/local/probe/distribution.json"), load(f"{work}/client/probe/distribution.json")
    # the same samples and labels; the adjusted shares may differ in the last digits between JVMs (Math.exp and
    # log may differ by an ulp between the interpreter and compiled code), so they are compared to 1e-9
    assert pa["calibration"]["counts"] == pb["calibration"]["counts"], "probe calibrations differ"
    pdiff = max(abs(pa["domains"][d][k] - pb["domains"][d][k]) for d in pa["domains"] for k in ("raw", "corrected"))
    assert pdiff <= 1e-9, f"probe distributions differ by {pdiff}"
    print("probe distributions equal (max difference %g); final weights equal (max difference %g)" % (pdiff, diff))
    c = load(f"{work}/executor-loss/train/summary.json")
    lost = max(abs(b["final_weights"][d] - c["final_weights"][d]) for d in b["final_weights"])
    assert lost == 0, f"after an executor loss the final weights differ from the undisturbed client run by {lost}"
    pc = load(f"{work}/executor-loss/probe/distribution.json")
    assert pc["domains"] == pb["domains"], "the probe differs from the undisturbed client run after an executor loss"
    print("executor killed mid-round and mid-probe: final weights and probe bit-identical to the undisturbed client run")
print("CLUSTER TEST OK")
PY
