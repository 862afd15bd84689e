#!/usr/bin/env bash
# The first samples per label of a probe as a Markdown table (bench/SamplesTable.java), for the notes.
# Usage: bench/samples-table.sh PROBE_DIR [PER_LABEL]   (PER_LABEL defaults to 2)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:?usage: bench/samples-table.sh PROBE_DIR [PER_LABEL]}"
jar="${VERSATUNE_JAR:-$here/jobs/target/versatune.jar}"
[ -f "$jar" ] || (cd "$here" && mvn -B -q -DskipTests package)
java -Xmx2g @"$here/conf/jvm-options" -Dlog4j2.configurationFile="$here/conf/log4j2.properties" \
  -Dversatune.log.file="$here/runs/versatune.log" \
  -cp "$jar:$(cat "$(dirname "$jar")/provided-classpath.txt")" "$here/bench/SamplesTable.java" "$dir" "${2:-2}"
