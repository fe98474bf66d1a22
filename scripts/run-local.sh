#!/usr/bin/env bash
# Builds stablesoftmax if needed and runs it locally.
# Until the evaluate job exists, this runs the kernel demo: naive against stable softmax.
set -euo pipefail
cd "$(dirname "$0")/.."

# build (incremental; the first run downloads dependencies from Maven Central)
mvn -B -q -Dstyle.color=never -DskipTests package </dev/null

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
classpath="job/target/stablesoftmax-job-${version}.jar:udf/target/stablesoftmax-udf-${version}.jar"
exec java --add-modules jdk.incubator.vector -cp "$classpath" \
  org.stablesoftmax.job.KernelDemo "$@" </dev/null
