package org.stablesoftmax.job;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.stablesoftmax.udf.SqlBenchmark;
import org.stablesoftmax.udf.SqlBenchmark.BoxedCrossEntropy;

/**
 * {@code scripts/bench.sh evaluate}: the whole {@code stablesoftmax evaluate} command (Arrow and
 * udf engines) against reading the logits only, a plain boxed Java UDF computing the same stable
 * loss, and the Spark SQL higher-order-function formulation, side by side in one JVM (Spark local
 * mode), in rounds that rotate the order. Not a test.
 *
 * <p>Arguments: rows, classes, rounds, master, output directory. The data is made once by
 * {@code stablesoftmax generate} (float, default extreme and bad fractions) and reused.
 */
public final class EvaluateBenchmark {

  private EvaluateBenchmark() {}

  public static void main(String[] args) throws IOException {
    int rows = Integer.parseInt(args[0]);
    int classes = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    String master = args[3];
    Path out = Paths.get(args[4]);
    SparkSession spark = SparkSession.builder().master(master).appName("bench-evaluate")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      Path data = out.resolve("evaluate-data-" + rows + "x" + classes + "-float");
      if (!Files.exists(data.resolve("_SUCCESS"))) {
        System.err.printf("generating %d rows x %d float logits in %s ...%n", rows, classes, data);
        check(Main.run("generate", "--output", data.toString(), "--overwrite", "--rows",
            Integer.toString(rows), "--classes", Integer.toString(classes), "--files", "8"));
      }
      spark.read().parquet(data.toString()).createOrReplaceTempView("logits");
      spark.udf().register("boxed_cross_entropy", new BoxedCrossEntropy(), DataTypes.DoubleType);
      String in = data.toString();

      Map<String, Supplier<Object>> cases = new LinkedHashMap<>();
      cases.put("read only: sum(size(logits))",
          () -> spark.sql("SELECT sum(size(logits)) FROM logits").first().get(0));
      cases.put("stablesoftmax evaluate (arrow engine)", () -> quietly(() -> check(
          Main.run("evaluate", "--input", in, "--engine", "arrow"))));
      cases.put("stablesoftmax evaluate --engine udf", () -> quietly(() -> check(
          Main.run("evaluate", "--input", in, "--engine", "udf"))));
      cases.put("plain boxed Java UDF (Seq<Float>), mean loss only", () -> spark.sql(
          "SELECT avg(boxed_cross_entropy(logits, label)) FROM logits").first().get(0));
      cases.put("higher-order functions, mean loss only", () -> spark.sql(
          "SELECT avg(m + ln(aggregate(logits, 0D, (acc, x) -> acc + exp(x - m)))"
              + " - element_at(logits, label + 1)) FROM (SELECT logits, label,"
              + " array_max(logits) AS m FROM logits WHERE label >= 0 AND label < size(logits))")
          .first().get(0));

      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      List<String> names = new ArrayList<>(cases.keySet());
      for (String name : names) {
        seconds.put(name, new ArrayList<>());
        cases.get(name).get(); // warm-up
      }
      for (int round = 0; round < rounds; round++) {
        for (int j = 0; j < names.size(); j++) {
          String name = names.get((round + j) % names.size());
          long start = System.nanoTime();
          cases.get(name).get();
          seconds.get(name).add((System.nanoTime() - start) / 1e9);
        }
      }
      report(rows, classes, rounds, master, seconds, out);
    } finally {
      spark.stop();
    }
  }

  private static Object check(int code) {
    if (code != 0) {
      throw new IllegalStateException("stablesoftmax exited with " + code);
    }
    return code;
  }

  /** Runs without the command's printed table. */
  private static Object quietly(Supplier<Object> run) {
    PrintStream old = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      return run.get();
    } finally {
      System.setOut(old);
    }
  }

  private static void report(int rows, int classes, int rounds, String master,
      Map<String, List<Double>> seconds, Path out) throws IOException {
    double read = SqlBenchmark.median(seconds.get("read only: sum(size(logits))"));
    double ours = SqlBenchmark.median(seconds.get("stablesoftmax evaluate (arrow engine)"));
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%n%,d rows x %,d float logits (Parquet, 8 files),"
        + " Spark %s, %s; median of %d rounds, seconds (lower is better)%n%n", rows, classes,
        org.apache.spark.package$.MODULE$.SPARK_VERSION(), master, rounds));
    sb.append("| what | median s | min s | time / read only | time / arrow engine |\n");
    sb.append("|---|---:|---:|---:|---:|\n");
    for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
      double med = SqlBenchmark.median(e.getValue());
      sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |%n", e.getKey(),
          med, e.getValue().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
          med / read, med / ours));
    }
    System.out.print(sb);
    Files.createDirectories(out);
    Files.writeString(out.resolve("evaluate-" + rows + "x" + classes + ".md"), sb.toString(),
        StandardCharsets.UTF_8);
  }
}
