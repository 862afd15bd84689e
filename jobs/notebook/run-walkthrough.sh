#!/usr/bin/env bash
# Runs the notebook walkthrough in JShell against the built jar (mvn package first). Prints WALKTHROUGH OK.
set -euo pipefail
cd "$(dirname "$0")/../.."
source conf/env.sh
JAR=jobs/target/versatune.jar
[ -f "$JAR" ] || { echo "build the jar first: mvn -B -DskipTests package" >&2; exit 1; }
opts=()
while read -r o; do [ -n "$o" ] && opts+=("-R$o"); done < conf/jvm-options
out="$(jshell --class-path "$JAR:$(cat jobs/target/provided-classpath.txt)" "${opts[@]}" -R-Xmx4g \
  -R-Dlog4j2.configurationFile=conf/log4j2.properties jobs/notebook/walkthrough.jsh 2>&1)"
echo "$out" | grep -vE "^\s*$|WARN" | tail -40
echo "$out" | grep -q "WALKTHROUGH OK"
