#!/usr/bin/env bash
# Benchmarks, measured side by side in one run. Not part of the tests.
#   scripts/bench.sh kernel [extra JMH options]   kernel ns/element, SIMD vs scalar vs baselines
#   scripts/bench.sh buffer [extra JMH options]   a row read in place from a direct ByteBuffer vs
#                                                 copied into a heap array first, and a whole row
#                                                 result in place, C = 10, 128, 32768
#   scripts/bench.sh sql [rows [classes [rounds [master]]]]
#                                                 avg(cross_entropy) in Spark SQL vs higher-order
#                                                 functions vs a boxed Java UDF vs reading only
#   scripts/bench.sh evaluate [rounds]           stablesoftmax evaluate (both engines) vs reading
#                                                 only vs a boxed Java UDF vs higher-order
#                                                 functions, on 1,000,000 x 128 and 2,000 x 32,768
#                                                 float; then 500 x 200,000 double in 1 GiB
#   scripts/bench.sh transform [rounds [rows [classes]]]
#                                                 stablesoftmax transform (both engines) vs a plain
#                                                 copy vs higher-order functions, each run its own
#                                                 cold JVM as scripts/run-local.sh runs one; 3
#                                                 rounds of 1,000,000 x 128 float by default
#   scripts/bench.sh cold [rounds]               what a user waits for, each command in its own
#                                                 fresh JVM: stablesoftmax evaluate vs a cold read
#                                                 of the logits vs DuckDB's stable mean
#                                                 cross-entropy, on 1M x 128, 4M x 128,
#                                                 2k x 32,768 and 8M x 10 float; 3 rounds
#   scripts/bench.sh bootstrap [rounds [replicates]]
#                                                 stablesoftmax evaluate with --bootstrap 1000
#                                                 vs without, each in its own fresh JVM, on
#                                                 1,000,000 x 128 float; 3 rounds
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-}"
shift || true

case "$what" in
  kernel|buffer|sql|evaluate|transform|cold|bootstrap) ;;
  *)
    echo "usage: scripts/bench.sh kernel [extra JMH options]" >&2
    echo "       scripts/bench.sh buffer [extra JMH options]" >&2
    echo "       scripts/bench.sh sql [rows [classes [rounds [master]]]]" >&2
    echo "       scripts/bench.sh evaluate [rounds]" >&2
    echo "       scripts/bench.sh transform [rounds [rows [classes]]]" >&2
    echo "       scripts/bench.sh cold [rounds]" >&2
    echo "       scripts/bench.sh bootstrap [rounds [replicates]]" >&2
    exit 2
    ;;
esac
if [ "$what" = transform ] || [ "$what" = cold ] || [ "$what" = bootstrap ]; then
  rounds="${1:-3}" rows="${2:-1000000}" classes="${3:-128}"
  if [ "$what" = bootstrap ]; then
    replicates="${2:-1000}" rows=1000000 classes=128
  fi
  for n in "$rounds" "$rows" "$classes" "${replicates:-1}"; do
    if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
      echo "bench.sh: $what takes whole numbers, got '$n' (usage above)" >&2
      exit 2
    fi
  done
fi

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

machine="JVM: $(java -version 2>&1 | head -n 1); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "$machine"

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
# awk functions over lists of seconds: median and least
awk_stats='
  # a list of seconds, split and sorted into v (insertion sort: mawk has no asort)
  function sorted(list, v,    n, i, j, x) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) {
      x = v[i] + 0
      for (j = i - 1; j >= 1 && v[j] + 0 > x; j--) v[j + 1] = v[j]
      v[j + 1] = x
    }
    return n
  }
  function median(list,    v, n) {
    n = sorted(list, v)
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function least(list,    v) {
    sorted(list, v)
    return v[1]
  }'
grouped() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<< "$1"; } # 1000000 -> 1,000,000
if [ "$what" = transform ] || [ "$what" = cold ] || [ "$what" = bootstrap ]; then
  # the thin jar and Spark's classpath, as scripts/run-local.sh builds them (no install), and
  # each module's test classpath in its target/test-classpath.txt (job's holds DuckDB's driver)
  build -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt
  version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
  jar="job/target/stablesoftmax-${version}.jar"
  spark_cp="$(cat job/target/spark-classpath.txt)"
  spark_version=$(tr ':' '\n' <<< "$spark_cp" | sed -n 's:.*/spark-core_[^/]*-\([^/-]*\)\.jar$:\1:p')
  master=$(awk '$1 == "spark.master" {print $2}' conf/spark-defaults.conf)
  memory=${DRIVER_MEMORY:-$(awk '$1 == "spark.driver.memory" {print $2}' conf/spark-defaults.conf)}
  memory=${memory:-2g}
  read -r -a jvm_opts < udf/target/test-classes/spark-java17-options.txt
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  mkdir -p logs
  # one spark-submit in a fresh JVM, as scripts/run-local.sh runs stablesoftmax (the same JVM
  # flags, heap and conf/spark-defaults.conf); the job's test classes hold TransformBenchmark
  submit() {
    local class="$1"
    shift
    java -Xmx"$memory" "${jvm_opts[@]}" --add-modules=jdk.incubator.vector \
      -Dlog4j2.configurationFile=conf/log4j2.properties \
      -cp "$spark_cp:job/target/test-classes:$jar" \
      org.apache.spark.deploy.SparkSubmit --properties-file conf/spark-defaults.conf \
      --class "$class" "$jar" "$@" </dev/null
  }
  # the benchmark's float data, generated once: rows, classes
  dataset() {
    local data="$out/evaluate-data-${1}x${2}-float"
    if [ ! -f "$data/_SUCCESS" ]; then
      echo "generating $1 rows x $2 float logits in $data ..." >&2
      submit org.stablesoftmax.job.Main generate --output "$data" --overwrite --rows "$1" \
        --classes "$2" --files 8 >&2
    fi
    echo "$data"
  }
  # a number from a summary.json section: file, section, key
  summary_value() {
    sed -n "/^  \"$2\" : {/,/^  }/ s/^ *\"$3\" : \([^,]*\),*$/\1/p" "$1" | head -n 1
  }
  # every round, each of the cases in rotating order, each in its own fresh JVM: run_case CASE
  # DIR (DIR made anew each round), then job_seconds CASE DIR LOG; the times in $run/times.tsv
  timed_rounds() {
    load_start=$(cut -d' ' -f1 /proc/loadavg)
    times="$run/times.tsv"
    printf 'round\tcase\twall_s\tjob_s\n' > "$times"
    for ((r = 0; r < rounds; r++)); do
      for ((j = 0; j < ${#cases[@]}; j++)); do
        c=${cases[(r + j) % ${#cases[@]}]}
        dir="$run/out-$c"
        rm -rf "$dir"
        log="$run/$c-$r"
        start=$(date +%s.%N)
        if ! run_case "$c" "$dir" >"$log.out" 2>"$log.err"; then
          tail -n 20 "$log.err" >&2
          echo "bench.sh: the $c case failed in round $((r + 1)) (its logs: $log.out," \
            "$log.err)" >&2
          exit 1
        fi
        end=$(date +%s.%N)
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
        job=$(job_seconds "$c" "$dir" "$log.out")
        printf '%d\t%s\t%s\t%s\n' "$((r + 1))" "$c" "$wall" "$job" >> "$times"
        printf 'round %d/%d  %-9s  wall %7.2f s  job %7.2f s\n' "$((r + 1))" "$rounds" "$c" \
          "$wall" "$job" >&2
      done
    done
    load_end=$(cut -d' ' -f1 /proc/loadavg)
  }
fi
if [ "$what" = transform ]; then
  command_line="scripts/bench.sh transform $rounds $rows $classes"
  data=$(dataset "$rows" "$classes")
  # this run's outputs and logs, in a directory of its own: nothing else is ever deleted
  run=$(mktemp -d "$out/transform-run.XXXXXX")
  cases=(copy arrow udf hof)
  run_case() { # case, output dir
    case "$1" in
      copy|hof) submit org.stablesoftmax.job.TransformBenchmark "$1" "$data" "$2" ;;
      arrow|udf) submit org.stablesoftmax.job.Main transform --input "$data" --output "$2" \
        --outputs softmax,loss,prediction --id-col id --engine "$1" ;;
    esac
  }
  job_seconds() { # case, output dir, stdout log
    case "$1" in
      copy|hof) awk '$1 == "write_seconds" {print $2}' "$3" ;;
      arrow|udf) sed -n 's/.*"transform_seconds" *: *\([0-9.eE+-]*\).*/\1/p' \
        "$2/_transform.json" ;;
    esac
  }
  timed_rounds

  # the answers of the last round's outputs, not timed
  echo "checking the outputs ..." >&2
  checks="$run/checks.md"
  if ! submit org.stablesoftmax.job.TransformBenchmark check "$data" "$run/out-copy" \
      "$run/out-arrow" "$run/out-udf" "$run/out-hof" >"$checks" 2>"$run/check.err"; then
    cat "$checks" >&2
    tail -n 20 "$run/check.err" >&2
    echo "bench.sh: a check failed (outputs and logs kept in $run)" >&2
    exit 1
  fi

  {
    printf '\n%s\n\n%s; load average %s at the start, %s at the end\n\n' "$command_line" \
      "$machine" "$load_start" "$load_end"
    printf '%s rows x %s float logits (Parquet, 8 files), Spark %s, %s, -Xmx%s; each run its\n' \
      "$(grouped "$rows")" "$(grouped "$classes")" "$spark_version" "$master" "$memory"
    printf 'own JVM through SparkSubmit and conf/spark-defaults.conf, as scripts/run-local.sh runs\n'
    printf 'stablesoftmax; rotating order; median of %s rounds, seconds (lower is better). wall: the\n' "$rounds"
    printf 'process from start to exit; job: from the start of the write to its end (transform:\n'
    printf 'timing.transform_seconds of DIR/_transform.json). transform verifies Parquet page\n'
    printf 'checksums as it reads; the copy and the higher-order functions read as plain Spark does\n\n'
    printf '| case | wall s | min wall s | job s | min job s |\n'
    printf '|---|---:|---:|---:|---:|\n'
    awk -F'\t' "$awk_stats"'
      NR > 1 { wall[$2] = wall[$2] " " $3; job[$2] = job[$2] " " $4 }
      END {
        name["copy"] = "plain copy: `SELECT id, label, logits` to Parquet"
        name["arrow"] = "`stablesoftmax transform --outputs softmax,loss,prediction --id-col id --engine arrow`"
        name["udf"] = "the same, `--engine udf`"
        name["hof"] = "the same columns with higher-order functions (below)"
        split("copy arrow udf hof", order, " ")
        for (i = 1; i <= 4; i++) {
          c = order[i]
          w[c] = median(wall[c]); s[c] = median(job[c])
          printf "| %s | %.2f | %.2f | %.2f | %.2f |\n", name[c], w[c], least(wall[c]), s[c], least(job[c])
        }
        printf "\n| ratio of medians | wall | job | target |\n|---|---:|---:|---|\n"
        printf "| arrow / copy | %.2f | %.2f | at most 1.5 |\n", w["arrow"] / w["copy"], s["arrow"] / s["copy"]
        printf "| udf / arrow | %.2f | %.2f | at least 2 |\n", w["udf"] / w["arrow"], s["udf"] / s["arrow"]
        printf "| higher-order functions / arrow | %.2f | %.2f | |\n", w["hof"] / w["arrow"], s["hof"] / s["arrow"]
      }' "$times"
    printf '\nThe higher-order functions (TransformBenchmark.HOF_QUERY; stable: the maximum\n'
    printf 'subtracted; naive-ish: a plain sum, ln, nulls as SQL gives them):\n\n    %s\n' \
      "$(awk '$1 == "query" {sub(/^query /, ""); print; exit}' "$run/hof-0.out")"
    printf '\nChecked on the last round'"'"'s outputs, after the timed runs:\n\n'
    cat "$checks"
  } | tee "$out/transform-table.md"
  cp "$times" "$out/transform-times.tsv"
  rm -rf "$run"
  exit
fi
if [ "$what" = bootstrap ]; then
  command_line="scripts/bench.sh bootstrap $rounds $replicates"
  data=$(dataset "$rows" "$classes")
  # this run's outputs and logs, in a directory of its own: nothing else is ever deleted
  run=$(mktemp -d "$out/bootstrap-run.XXXXXX")
  cases=(plain bootstrap)
  run_case() { # case, output dir
    case "$1" in
      plain) submit org.stablesoftmax.job.Main evaluate --input "$data" --id-col id \
        --output "$2" ;;
      bootstrap) submit org.stablesoftmax.job.Main evaluate --input "$data" --id-col id \
        --output "$2" --bootstrap "$replicates" --seed 0 ;;
    esac
  }
  # the job: the evaluation's pass, and for the bootstrap its replicates on the driver
  job_seconds() { # case, output dir, stdout log
    awk -v a="$(summary_value "$2/summary.json" timing evaluate_seconds)" \
      -v b="$(summary_value "$2/summary.json" bootstrap seconds)" 'BEGIN {printf "%.3f", a + b}'
  }
  timed_rounds
  # the two cases' metrics agree to the bit: the bootstrap changes no point estimate
  for f in mean accuracy brier ece; do
    section=metrics
    [ "$f" = mean ] && section=loss
    a=$(summary_value "$run/out-plain/summary.json" "$section" "$f")
    b=$(summary_value "$run/out-bootstrap/summary.json" "$section" "$f")
    if [ "$a" != "$b" ]; then
      echo "bench.sh: $section.$f differs with the bootstrap: $a, $b (outputs kept in $run)" >&2
      exit 1
    fi
  done
  {
    printf '\n%s\n\n%s; load average %s at the start, %s at the end\n\n' "$command_line" \
      "$machine" "$load_start" "$load_end"
    printf '%s rows x %s float logits (Parquet, 8 files, made by stablesoftmax generate),\n' \
      "$(grouped "$rows")" "$(grouped "$classes")"
    printf 'Spark %s, %s, -Xmx%s. Each command its own fresh JVM through SparkSubmit, in\n' \
      "$spark_version" "$master" "$memory"
    printf 'rotating order; median of %s rounds, seconds (lower is better). plain:\n' "$rounds"
    printf 'stablesoftmax evaluate --input DIR --id-col id --output DIR2; bootstrap: the same with\n'
    printf -- '--bootstrap %s --seed 0. job: timing.evaluate_seconds plus bootstrap.seconds (the\n' \
      "$replicates"
    printf 'replicates, on the driver); wall: each process from start to exit\n\n'
    printf '| case | wall s | job s |\n|---|---:|---:|\n'
    awk -F'\t' "$awk_stats"'
      NR > 1 { wall[$2] = wall[$2] " " $3; job[$2] = job[$2] " " $4 }
      END {
        for (c in wall) printf "| %s | %.2f | %.2f |\n", c, median(wall[c]), median(job[c])
        printf "\n| ratio of medians | wall | job | target |\n|---|---:|---:|---|\n"
        printf "| bootstrap / plain | %.2f | %.2f | at most 1.5 |\n",
          median(wall["bootstrap"]) / median(wall["plain"]),
          median(job["bootstrap"]) / median(job["plain"])
      }' "$times"
    printf '\nIntervals of the last round:\n\n    %s\n' \
      "$(grep -E '95% CI' "$run/bootstrap-$((rounds - 1)).out" | tr -s ' ' | paste -sd ';')"
  } | tee "$out/bootstrap-table.md"
  cp "$times" "$out/bootstrap-times.tsv"
  rm -rf "$run"
  exit
fi
if [ "$what" = cold ]; then
  command_line="scripts/bench.sh cold $rounds"
  duckdb_cp="job/target/test-classes:$(tr ':' '\n' < job/target/test-classpath.txt \
    | grep '/duckdb_jdbc-[^/]*\.jar$' | head -n 1)"
  sets=("1000000 128" "4000000 128" "2000 32768" "8000000 10")
  for s in "${sets[@]}"; do
    dataset $s > /dev/null
  done
  run=$(mktemp -d "$out/cold-run.XXXXXX")
  cases=(read evaluate duckdb)
  # one case in a fresh JVM: case, data, its log's stem; prints its job seconds
  run_case() {
    case "$1" in
      read) submit org.stablesoftmax.job.ColdBenchmark read "$2" ;;
      evaluate) submit org.stablesoftmax.job.Main evaluate --input "$2" --id-col id \
        --output "$3.evaluation" --overwrite ;;
      duckdb) java -cp "$duckdb_cp" org.stablesoftmax.job.ColdBenchmark duckdb "$2" "$(nproc)" \
        </dev/null ;;
    esac
  }
  # a value from a case's output: the log's stem, the key
  value() { awk -v k="$2" '$1 == k {print $2; exit}' "$1.out"; }
  load_start=$(cut -d' ' -f1 /proc/loadavg)
  times="$run/times.tsv"
  printf 'round\tdata\tcase\twall_s\tjob_s\twarm_s\tquery_s\n' > "$times"
  for ((r = 0; r < rounds; r++)); do
    for s in "${sets[@]}"; do
      set -- $s
      name="${1}x${2}"
      data="$out/evaluate-data-${name}-float"
      for ((j = 0; j < ${#cases[@]}; j++)); do
        c=${cases[(r + j) % ${#cases[@]}]}
        log="$run/$name-$c-$r"
        start=$(date +%s.%N)
        if ! run_case "$c" "$data" "$log" >"$log.out" 2>"$log.err"; then
          tail -n 20 "$log.err" >&2
          echo "bench.sh: the $c case failed on $name in round $((r + 1)) (its logs: $log.out," \
            "$log.err)" >&2
          exit 1
        fi
        end=$(date +%s.%N)
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
        warm=- query=-
        case "$c" in
          read)
            job=$(value "$log" cold_seconds)
            warm=$(value "$log" warm_seconds)
            query=$(awk -v a="$job" -v b="$(value "$log" cold_schema_seconds)" \
              'BEGIN {printf "%.3f", a - b}')
            ;;
          evaluate) job=$(summary_value "$log.evaluation/summary.json" timing evaluate_seconds) ;;
          duckdb) job=$(value "$log" seconds) ;;
        esac
        printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$((r + 1))" "$name" "$c" "$wall" "$job" \
          "$warm" "$query" >> "$times"
        printf 'round %d/%d  %-12s %-8s  wall %6.2f s  job %6.2f s\n' "$((r + 1))" "$rounds" \
          "$name" "$c" "$wall" "$job" >&2
      done
    done
  done
  load_end=$(cut -d' ' -f1 /proc/loadavg)

  # every answer of every round: the loss and its rows against DuckDB's, the elements read
  # against DuckDB's count
  checks="$run/checks.md"
  failed=0
  : > "$checks"
  for s in "${sets[@]}"; do
    set -- $s
    name="${1}x${2}"
    for ((r = 0; r < rounds; r++)); do
      e="$run/$name-evaluate-$r.evaluation/summary.json"
      mean=$(summary_value "$e" loss mean)
      finite=$(summary_value "$e" loss finite)
      d_mean=$(value "$run/$name-duckdb-$r" mean_loss)
      d_rows=$(value "$run/$name-duckdb-$r" rows)
      d_elements=$(value "$run/$name-duckdb-$r" elements)
      elements=$(value "$run/$name-read-$r" elements)
      if ! awk -v a="$mean" -v b="$d_mean" -v n="$finite" -v m="$d_rows" -v x="$elements" \
          -v y="$d_elements" 'BEGIN {
            d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a
            exit !(d <= 1e-9 * s && n == m && x == y) }'; then
        echo "- FAILED: $name round $((r + 1)): evaluate's mean loss $mean over $finite rows," \
          "DuckDB's $d_mean over $d_rows; the read's $elements elements, DuckDB's $d_elements" \
          >> "$checks"
        failed=1
      fi
    done
    printf -- '- %s: evaluate mean loss %s over %s rows, DuckDB %s over %s rows (relative\n  difference at most 1e-9 and the same rows in every round); elements read %s, as DuckDB counts them\n' \
      "$name" "$mean" "$(grouped "$finite")" "$d_mean" "$(grouped "$d_rows")" \
      "$(grouped "$elements")" >> "$checks"
  done
  if [ "$failed" = 1 ]; then
    cat "$checks" >&2
    echo "bench.sh: a check failed (outputs and logs kept in $run)" >&2
    exit 1
  fi

  {
    printf '\n%s\n\n%s; load average %s at the start, %s at the end\n\n' "$command_line" \
      "$machine" "$load_start" "$load_end"
    printf 'Float logits (Parquet, 8 files, made by stablesoftmax generate), Spark %s, %s,\n' \
      "$spark_version" "$master"
    printf -- '-Xmx%s; DuckDB %s through JDBC with %s threads. Each command its own fresh JVM,\n' \
      "$memory" "$(sed -n 's:.*/duckdb_jdbc-\([^/]*\)\.jar$:\1:p' <<< "$duckdb_cp")" "$(nproc)"
    printf 'in rotating order; median of %s rounds, seconds (lower is better). cold read: the\n' \
      "$rounds"
    printf 'first query of a SparkSubmit JVM, SELECT sum(size(logits)), from spark.read to its\n'
    printf 'answer (listing and schema included); its query: the same without spark.read (the\n'
    printf 'listing and schema); warm read: the same query again in that JVM;\n'
    printf 'evaluate: stablesoftmax evaluate --input DIR --id-col id --output DIR2 through\n'
    printf 'SparkSubmit, timed by its timing.evaluate_seconds (from after its footer checks to\n'
    printf 'the merged result); DuckDB: its query alone, after connecting. wall: each process\n'
    printf 'from start to exit\n\n'
    printf '| data | cold read | its query | warm read | evaluate | DuckDB | evaluate / cold read | evaluate / its query | evaluate / DuckDB | wall: read | wall: evaluate | wall: DuckDB |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    awk -F'\t' "$awk_stats"'
      NR > 1 {
        job[$2, $3] = job[$2, $3] " " $5; wall[$2, $3] = wall[$2, $3] " " $4
        if ($3 == "read") { warm[$2] = warm[$2] " " $6; query[$2] = query[$2] " " $7 }
        if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
      }
      END {
        for (i = 1; i <= n; i++) {
          d = order[i]
          r = median(job[d, "read"]); e = median(job[d, "evaluate"]); k = median(job[d, "duckdb"])
          q = median(query[d])
          split(d, rc, "x")
          printf "| %s × %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
            rc[1], rc[2], r, q, median(warm[d]), e, k, e / r, e / q, e / k, median(wall[d, "read"]),
            median(wall[d, "evaluate"]), median(wall[d, "duckdb"])
        }
      }' "$times" | sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\([ ,]\)/\1,\2\3/; ta'
    printf '\nTargets: evaluate at most 1.3 x the cold read on every data set; faster than DuckDB\n'
    printf 'on 4,000,000 x 128.\n\nDuckDB'"'"'s query (ColdBenchmark.DUCKDB_QUERY):\n\n    %s\n' \
      "$(awk '$1 == "query" {sub(/^query /, ""); print; exit}' "$run/1000000x128-duckdb-0.out")"
    printf '\nChecked, every round:\n\n'
    cat "$checks"
  } | tee "$out/cold-table.md"
  cp "$times" "$out/cold-times.tsv"
  rm -rf "$run"
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
  jmh 'KernelBenchmark\.((crossEntropy|softmax)(InPlace|Copied)|rowResultInPlace)$' \
    -p size=10,128,32768 -rf csv -rff "$out/buffer.csv" "$@"
  {
    printf '\nns per element (lower is better), one JMH run; in place: the kernel reads the direct\n'
    printf 'buffer (softmax writes one); copied: a bulk copy into a heap array, the array form (and\n'
    printf 'for softmax a bulk copy out into the direct buffer); row result: all of a row'"'"'s values and\n'
    printf 'incidents in place, as the Arrow stage computes each row (RowResult.compute)\n\n'
    printf '| C | input | path | cross-entropy in place | cross-entropy copied | in place / copied | softmax in place | softmax copied | in place / copied | row result in place | row result / cross-entropy in place |\n'
    printf '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    awk -F, "$csv_rows"'
      {
        key = $10 " " $8 " " $9
        ns[key, bench] = $5 / $10
        keys[key] = 1
      }
      END {
        for (k in keys) {
          split(k, c, " ")
          printf "| %s | %s | %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.3f | %.2f |\n", c[1],
            c[2], c[3], ns[k, "crossEntropyInPlace"], ns[k, "crossEntropyCopied"],
            ns[k, "crossEntropyInPlace"] / ns[k, "crossEntropyCopied"],
            ns[k, "softmaxInPlace"], ns[k, "softmaxCopied"],
            ns[k, "softmaxInPlace"] / ns[k, "softmaxCopied"], ns[k, "rowResultInPlace"],
            ns[k, "rowResultInPlace"] / ns[k, "crossEntropyInPlace"]
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
