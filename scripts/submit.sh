#!/usr/bin/env bash
# Submits stablesoftmax to a Spark cluster through $SPARK_HOME/bin/spark-submit (Spark 3.5 on
# Java 17). It submits the thin jar, job/target/stablesoftmax-<version>.jar from
# `mvn -DskipTests package`: Spark and Arrow come from the cluster, picocli is inside, relocated.
#
#   scripts/submit.sh [spark-submit options ...] -- <stablesoftmax subcommand and options>
#
# Standalone:
#   scripts/submit.sh --master spark://host:7077 --executor-memory 4g \
#     -- evaluate --input s3a://b/logits --output s3a://b/eval
# YARN, the driver in the cluster:
#   scripts/submit.sh --master yarn --deploy-mode cluster --num-executors 8 \
#     -- evaluate --input hdfs:///data/logits --output hdfs:///data/eval
# Kubernetes (an image with Spark 3.5 on Java 17; spark-submit uploads the jar to the upload path,
# or STABLESOFTMAX_JAR=local:///opt/stablesoftmax.jar names a copy inside the image):
#   scripts/submit.sh --master k8s://https://api.example:6443 --deploy-mode cluster \
#     --conf spark.kubernetes.container.image=registry.example/spark:3.5.7-java17 \
#     --conf spark.kubernetes.file.upload.path=s3a://b/spark-upload \
#     -- evaluate --input s3a://b/logits --output s3a://b/eval
#
# The driver and executors get --add-modules=jdk.incubator.vector (the kernel's SIMD path). Your
# options come after ours, so yours win; a spark.driver.extraJavaOptions or
# spark.executor.extraJavaOptions of yours replaces ours, so add --add-modules=jdk.incubator.vector
# to it (without it the kernel runs its scalar path).
#
# With spark.authenticate=true: `--conf spark.authenticate.secret=...` works, but shows the secret
# in `ps` and the shell history. Better: YARN and Kubernetes generate a secret per application;
# on a standalone cluster put spark.authenticate.secret in $SPARK_CONF_DIR/spark-defaults.conf
# (readable by you alone); on Kubernetes a mounted secret can be named with
# spark.authenticate.secret.file (or its .driver.file and .executor.file variants).
#
# Environment: SPARK_HOME (required), STABLESOFTMAX_JAR (another jar: a path or a URI).
# Exit 2 with one sentence on stderr if SPARK_HOME or the jar is missing; otherwise
# spark-submit's own exit code.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd -P)"

spark_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  spark_opts+=("$1")
  shift
done
if [ $# -eq 0 ]; then
  echo "usage: scripts/submit.sh [spark-submit options ...] -- <stablesoftmax subcommand and options>" >&2
  exit 2
fi
shift # the --

if [ -z "${SPARK_HOME:-}" ]; then
  echo "submit.sh: SPARK_HOME is not set; set it to a Spark 3.5 installation." >&2
  exit 2
fi
if [ ! -x "$SPARK_HOME/bin/spark-submit" ]; then
  echo "submit.sh: $SPARK_HOME/bin/spark-submit is missing; set SPARK_HOME to a Spark 3.5 installation." >&2
  exit 2
fi

if [ -n "${STABLESOFTMAX_JAR:-}" ]; then
  jar="$STABLESOFTMAX_JAR"
  # a URI (local://, hdfs://, s3a://, ...) is spark-submit's to check
  if [[ "$jar" != *://* ]] && [ ! -f "$jar" ]; then
    echo "submit.sh: STABLESOFTMAX_JAR names $jar, which does not exist." >&2
    exit 2
  fi
else
  version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$repo/pom.xml" | head -n 1)
  jar="$repo/job/target/stablesoftmax-${version}.jar"
  if [ ! -f "$jar" ]; then
    echo "submit.sh: $jar does not exist; build it with 'mvn -DskipTests package' in $repo." >&2
    exit 2
  fi
fi

exec "$SPARK_HOME/bin/spark-submit" \
  --class org.stablesoftmax.job.Main \
  --conf spark.driver.extraJavaOptions=--add-modules=jdk.incubator.vector \
  --conf spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector \
  "${spark_opts[@]}" "$jar" "$@" </dev/null
