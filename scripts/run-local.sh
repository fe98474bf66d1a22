#!/usr/bin/env bash
# Builds stablesoftmax if needed and runs it in Spark local mode (local[*], conf/spark-defaults.conf).
#
#   scripts/run-local.sh                      generate a demo dataset, then evaluate it
#   scripts/run-local.sh evaluate --input DIR [options]    any subcommand, as `stablesoftmax`
#   scripts/run-local.sh generate --output DIR [options]
#   scripts/run-local.sh compare --a DIR --b DIR --id-col id [options]
#
# Environment: DRIVER_MEMORY (default: spark.driver.memory from conf/spark-defaults.conf).
set -euo pipefail
cd "$(dirname "$0")/.."
# local mode: no need to look for the machine's network address
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
# the thin jar that scripts/submit.sh sends to clusters: Spark comes from Maven's copy
jar="job/target/stablesoftmax-${version}.jar"

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

memory=${DRIVER_MEMORY:-$(awk '$1 == "spark.driver.memory" {print $2}' conf/spark-defaults.conf)}
read -r -a jvm_opts < udf/target/test-classes/spark-java17-options.txt
mkdir -p logs

# spark-submit's own entry point, in this JVM: local mode runs the driver and executors here
stablesoftmax() {
  java -Xmx"${memory:-2g}" "${jvm_opts[@]}" --add-modules=jdk.incubator.vector \
    -Dlog4j2.configurationFile=conf/log4j2.properties \
    -cp "$(cat job/target/spark-classpath.txt):${jar}" \
    org.apache.spark.deploy.SparkSubmit --properties-file conf/spark-defaults.conf \
    --class org.stablesoftmax.job.Main "$jar" "$@" \
    </dev/null
}

if [ $# -gt 0 ]; then
  stablesoftmax "$@"
  exit
fi

demo=target/demo/logits
echo "no arguments: generating a demo dataset in $demo, then evaluating it" >&2
stablesoftmax generate --output "$demo" --overwrite
stablesoftmax evaluate --input "$demo" --id-col id --output target/demo/evaluation --overwrite \
  --bootstrap 1000 --per-class
