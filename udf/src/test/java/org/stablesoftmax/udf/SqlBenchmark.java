package org.stablesoftmax.udf;

import java.io.IOException;
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
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * {@code scripts/bench.sh sql}: the mean cross-entropy over one Parquet dataset, four ways, side
 * by side in one JVM (Spark local mode), in rounds that rotate the order. Not a test.
 *
 * <p>Arguments: rows (1000000), classes (128), rounds (5), master (local[2]), output directory
 * (target/bench). The dataset is generated once under the output directory and reused.
 */
public final class SqlBenchmark {

  private static final Map<String, String> QUERIES = new LinkedHashMap<>();

  static {
    QUERIES.put("read only: sum(size(logits))", "SELECT sum(size(logits)) FROM logits");
    QUERIES.put("stablesoftmax: avg(cross_entropy(logits, label))",
        "SELECT avg(cross_entropy(logits, label)) FROM logits");
    QUERIES.put("higher-order functions: array_max, aggregate, ln, element_at",
        "SELECT avg(m + ln(aggregate(logits, 0D, (acc, x) -> acc + exp(x - m)))"
            + " - element_at(logits, label + 1)) FROM (SELECT logits, label,"
            + " array_max(logits) AS m FROM logits)");
    QUERIES.put("plain boxed Java UDF (Seq<Float>)",
        "SELECT avg(boxed_cross_entropy(logits, label)) FROM logits");
  }

  private SqlBenchmark() {}

  public static void main(String[] args) throws IOException {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int classes = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    String master = args.length > 3 ? args[3] : "local[2]";
    Path out = Paths.get(args.length > 4 ? args[4] : "target/bench");
    SparkSession spark = SparkSession.builder().master(master).appName("bench-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      Path data = out.resolve("sql-data-" + rows + "x" + classes + "-float");
      if (!Files.exists(data.resolve("_SUCCESS"))) {
        System.err.printf("generating %d rows x %d float logits in %s ...%n", rows, classes, data);
        generate(spark, rows, classes, data);
      }
      spark.read().parquet(data.toString()).createOrReplaceTempView("logits");
      StableSoftmaxFunctions.register(spark);
      spark.udf().register("boxed_cross_entropy", new BoxedCrossEntropy(), DataTypes.DoubleType);

      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      Map<String, Object> answers = new LinkedHashMap<>();
      List<String> names = new ArrayList<>(QUERIES.keySet());
      for (String name : names) {
        seconds.put(name, new ArrayList<>());
        answers.put(name, spark.sql(QUERIES.get(name)).first().get(0)); // warm-up
      }
      for (int round = 0; round < rounds; round++) {
        for (int j = 0; j < names.size(); j++) {
          String name = names.get((round + j) % names.size());
          long start = System.nanoTime();
          spark.sql(QUERIES.get(name)).first();
          seconds.get(name).add((System.nanoTime() - start) / 1e9);
        }
      }
      report(rows, classes, rounds, master, seconds, answers, out);
    } finally {
      spark.stop();
    }
  }

  private static void generate(SparkSession spark, int rows, int classes, Path data) {
    StructType schema = new StructType()
        .add("id", DataTypes.LongType, false)
        .add("label", DataTypes.IntegerType, false)
        .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    spark.range(0, rows, 1, 8).map((MapFunction<Long, Row>) id -> {
      SplittableRandom rng = new SplittableRandom(id);
      float[] x = new float[classes];
      for (int i = 0; i < classes; i++) {
        x[i] = (float) (3.0 * gaussian(rng));
      }
      return RowFactory.create(id, rng.nextInt(classes), x);
    }, Encoders.row(schema)).write().mode("overwrite").parquet(data.toString());
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * rng.nextDouble());
  }

  private static void report(int rows, int classes, int rounds, String master,
      Map<String, List<Double>> seconds, Map<String, Object> answers, Path out)
      throws IOException {
    String ours = "stablesoftmax: avg(cross_entropy(logits, label))";
    double oursMedian = median(seconds.get(ours));
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nMean cross-entropy over %,d rows x %d float logits"
        + " (Parquet), Spark %s, %s; median of %d rounds, seconds (lower is better)%n%n",
        rows, classes, org.apache.spark.package$.MODULE$.SPARK_VERSION(), master, rounds));
    sb.append("| query | median s | min s | time / stablesoftmax | answer |\n");
    sb.append("|---|---:|---:|---:|---|\n");
    for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
      double med = median(e.getValue());
      sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %s |%n", e.getKey(), med,
          e.getValue().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
          med / oursMedian, answers.get(e.getKey())));
    }
    System.out.print(sb);
    Files.createDirectories(out);
    try (PrintStream ps = new PrintStream(Files.newOutputStream(out.resolve("sql-table.md")),
        true, StandardCharsets.UTF_8)) {
      ps.print(sb);
    }
  }

  /** The median of some timings. */
  public static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** The same stable loss as a plain Java UDF: Spark hands it a Seq of boxed Floats. */
  public static final class BoxedCrossEntropy implements UDF2<Seq<Float>, Integer, Double> {
    private static final long serialVersionUID = 1L;

    @Override
    public Double call(Seq<Float> logits, Integer label) {
      if (logits == null || label == null || label < 0 || label >= logits.size()) {
        return null;
      }
      double m = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < logits.size(); i++) {
        m = Math.max(m, value(logits.apply(i)));
      }
      double sum = 0;
      for (int i = 0; i < logits.size(); i++) {
        sum += Math.exp(value(logits.apply(i)) - m);
      }
      return m + Math.log(sum) - value(logits.apply(label));
    }

    /** A null element reads as NaN, as in the SQL functions. */
    private static double value(Float v) {
      return v == null ? Double.NaN : v;
    }
  }
}
