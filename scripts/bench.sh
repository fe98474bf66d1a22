#!/usr/bin/env bash
# Benchmarks, measured side by side in one run. Not part of the tests.
#   scripts/bench.sh kernel [extra JMH options]   kernel ns/element, SIMD vs scalar vs baselines
#   scripts/bench.sh buffer [extra JMH options]   a row read in place from a direct ByteBuffer vs
#                                                 copied into a heap array first, C = 128, 32768
#   scripts/bench.sh sql [rows [classes [rounds [master]]]]
#                                                 avg(cross_entropy) in Spark SQL vs higher-order
#                                                 functions vs a boxed Java UDF vs reading only
#   scripts/bench.sh evaluate [rounds]           stablesoftmax evaluate (both engines) vs reading
#                                                 only vs a boxed Java UDF vs higher-order
#                                                 functions, on 1,000,000 x 128 and 2,000 x 32,768
#                                                 float; then 500 x 200,000 double in 1 GiB
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-}"
shift || true

case "$what" in
  kernel|buffer|sql|evaluate) ;;
  *)
    echo "usage: scripts/bench.sh kernel [extra JMH options]" >&2
    echo "       scripts/bench.sh buffer [extra JMH options]" >&2
    echo "       scripts/bench.sh sql [rows [classes [rounds [master]]]]" >&2
    echo "       scripts/bench.sh evaluate [rounds]" >&2
    exit 2
    ;;
esac

out="target/bench"
mkdir -p "$out"
# Maven's own output only if it fails
build() {
  if ! mvn -B -q "$@" >"$out/maven.log" 2>&1 </dev/null; then
    cat "$out/maven.log" >&2
    echo "bench.sh: the build failed (Maven's output above)" >&2
    exit 1
  fi
}
build -DskipTests test-compile
build -pl udf dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$out/classpath.txt"
cp="udf/target/test-classes:udf/target/classes:$(cat "$out/classpath.txt")"
# JMH_OPTS overrides the iteration settings; extra arguments (e.g. -p size=128) go to JMH
read -r -a opts <<< "${JMH_OPTS:--wi 3 -w 500ms -i 5 -r 500ms -f 1}"
jmh() {
  java --add-modules jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main "${opts[@]}" "$@"
}

echo "JVM: $(java -version 2>&1 | head -n 1); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

if [ "$what" = sql ]; then
  # Spark's Java 17 options, written by the build from the parent pom
  read -r -a spark_opts < udf/target/test-classes/spark-java17-options.txt
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  exec java -Xmx6g --add-modules jdk.incubator.vector "${spark_opts[@]}" -cp "$cp" \
    -Dlog4j2.configurationFile=log4j2.properties \
    org.stablesoftmax.udf.SqlBenchmark "${1:-1000000}" "${2:-128}" "${3:-5}" "${4:-local[2]}" \
    "$out" </dev/null
fi
if [ "$what" = evaluate ]; then
  build -DskipTests install
  build -pl job dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/$out/job-classpath.txt"
  read -r -a spark_opts < udf/target/test-classes/spark-java17-options.txt
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  bench() {
    java -Xmx6g --add-modules jdk.incubator.vector "${spark_opts[@]}" \
      -cp "job/target/test-classes:job/target/classes:$(cat "$out/job-classpath.txt")" \
      -Dlog4j2.configurationFile=log4j2.properties \
      org.stablesoftmax.job.EvaluateBenchmark "$@" </dev/null
  }
  rounds="${1:-5}"
  bench 1000000 128 "$rounds" 'local[2]' "$out"
  bench 2000 32768 "$rounds" 'local[2]' "$out"
  # the widest rows, in the memory of a small driver, through scripts/run-local.sh
  wide="$out/evaluate-data-500x200000-double"
  if [ ! -f "$wide/_SUCCESS" ]; then
    DRIVER_MEMORY=4g scripts/run-local.sh generate --output "$wide" --overwrite --rows 500 \
      --classes 200000 --dtype double --files 2
  fi
  printf '\n500 rows x 200,000 double logits, local[*], --driver-memory 1g:\n'
  DRIVER_MEMORY=1g scripts/run-local.sh evaluate --input "$wide" --id-col id
  exit
fi
# awk, before a program over JMH's CSV: skips the header, unquotes, sets bench (the method's
# name); columns: Benchmark,Mode,Threads,Samples,Score,Score Error,Unit,Param: dtype,
# Param: path,Param: size
csv_rows='
  FNR == 1 { next }
  {
    gsub(/"/, "")
    sub(/\r$/, "")
    n = split($1, parts, ".")
    bench = parts[n]
  }'
if [ "$what" = buffer ]; then
  jmh 'KernelBenchmark\.(crossEntropy|softmax)(InPlace|Copied)$' -p size=128,32768 \
    -rf csv -rff "$out/buffer.csv" "$@"
  {
    printf '\nns per element (lower is better), one JMH run; in place: the kernel reads the direct\n'
    printf 'buffer (softmax writes one); copied: a bulk copy into a heap array, the array form (and\n'
    printf 'for softmax a bulk copy out into the direct buffer)\n\n'
    printf '| C | input | path | cross-entropy in place | cross-entropy copied | in place / copied | softmax in place | softmax copied | in place / copied |\n'
    printf '|---:|---|---|---:|---:|---:|---:|---:|---:|\n'
    awk -F, "$csv_rows"'
      {
        key = $10 " " $8 " " $9
        ns[key, bench] = $5 / $10
        keys[key] = 1
      }
      END {
        for (k in keys) {
          split(k, c, " ")
          printf "| %s | %s | %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", c[1], c[2], c[3],
            ns[k, "crossEntropyInPlace"], ns[k, "crossEntropyCopied"],
            ns[k, "crossEntropyInPlace"] / ns[k, "crossEntropyCopied"],
            ns[k, "softmaxInPlace"], ns[k, "softmaxCopied"],
            ns[k, "softmaxInPlace"] / ns[k, "softmaxCopied"]
        }
      }' "$out/buffer.csv" | sort -t'|' -k2,2n -k3,3 -k4,4r
  } | tee "$out/buffer-table.md"
  exit
fi
jmh 'KernelBenchmark\.(softmax|logSoftmax|crossEntropy)$' -rf csv -rff "$out/kernel.csv" "$@"
# the baselines do not depend on the path
jmh 'KernelBenchmark\.(bareExp|naiveSoftmax)$' -p path=simd -rf csv -rff "$out/baseline.csv" "$@"

# ns per operation -> ns per element, one line per size and input type
{
  printf '\nns per element (lower is better); ratios from the same run\n\n'
  printf '| C | input | softmax SIMD | softmax scalar | log-softmax SIMD | log-softmax scalar | cross-entropy SIMD | cross-entropy scalar | bare EXP pass | naive 3-pass | SIMD softmax / bare EXP | scalar / SIMD softmax |\n'
  printf '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  awk -F, "$csv_rows"'
    {
      key = $10 " " $8
      ns[key, bench, $9] = $5 / $10
      keys[key] = 1
    }
    END {
      for (k in keys) {
        split(k, ct, " ")
        if (!((k, "softmax", "simd") in ns) || !((k, "bareExp", "simd") in ns)) continue
        printf "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.1f |\n", ct[1], ct[2],
          ns[k, "softmax", "simd"], ns[k, "softmax", "scalar"],
          ns[k, "logSoftmax", "simd"], ns[k, "logSoftmax", "scalar"],
          ns[k, "crossEntropy", "simd"], ns[k, "crossEntropy", "scalar"],
          ns[k, "bareExp", "simd"], ns[k, "naiveSoftmax", "simd"],
          ns[k, "softmax", "simd"] / ns[k, "bareExp", "simd"],
          ns[k, "softmax", "scalar"] / ns[k, "softmax", "simd"]
      }
    }' "$out/kernel.csv" "$out/baseline.csv" | sort -t'|' -k2,2n -k3,3
} | tee "$out/kernel-table.md"
