#!/usr/bin/env bash
# Builds stablesoftmax if needed and runs it locally.
# Until the evaluate job exists, this runs the kernel demo: naive against stable softmax.
set -euo pipefail
cd "$(dirname "$0")/.."

# build (incremental; the first run downloads dependencies from Maven Central); Maven's own
# output only if it fails
echo "building stablesoftmax (mvn -DskipTests package) ..." >&2
log=$(mktemp)
if ! mvn -B -q -DskipTests package >"$log" 2>&1 </dev/null; then
  cat "$log" >&2
  rm -f "$log"
  echo "run-local.sh: the build failed (Maven's output above)" >&2
  exit 1
fi
rm -f "$log"

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
classpath="job/target/stablesoftmax-job-${version}.jar:udf/target/stablesoftmax-udf-${version}.jar"
exec java --add-modules jdk.incubator.vector -cp "$classpath" \
  org.stablesoftmax.job.KernelDemo "$@" </dev/null
