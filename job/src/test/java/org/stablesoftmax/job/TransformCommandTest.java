package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.testing.SparkTestBase;
import org.stablesoftmax.udf.StableSoftmaxFunctions;

/**
 * {@code stablesoftmax transform}, in process, on generated and crafted rows: the two engines
 * write the same bytes, every output's values are those of its SQL function on the input, bit for
 * bit, MLlib vectors read as arrays, and no Arrow memory is left.
 */
@ExtendWith(NoArrowMemoryLeft.class)
class TransformCommandTest extends SparkTestBase {

  /** Every output, as {@code --outputs} takes them. */
  private static final String ALL = "softmax,log_softmax,logsumexp,loss,prediction,top_k,entropy,"
      + "max_probability,incidents";
  private static final String DEFAULT = "softmax,loss,prediction,max_probability,incidents";
  private static final Pattern PART = Pattern.compile("part-(\\d{5})-.*\\.parquet");

  @TempDir
  static Path data;
  /** Generated input by element type: 3 files of 200 rows of 12 logits. */
  private static final Map<String, Path> GENERATED = new HashMap<>();
  /** The outputs written so far, by engine and arguments: a run that several tests compare. */
  private static final Map<List<String>, Path> WRITTEN = new HashMap<>();
  private static final AtomicInteger RUNS = new AtomicInteger();

  @Override
  public SparkConf conf() {
    // one input partition per file
    return super.conf().set("spark.sql.files.openCostInBytes", Long.toString(1L << 30));
  }

  @BeforeAll
  void registerAndGenerate() {
    StableSoftmaxFunctions.register(spark());
    for (String dtype : new String[] {"float", "double"}) {
      Path dir = data.resolve("generated-" + dtype);
      assertThat(Main.run("generate", "--output", dir.toString(), "--rows", "600", "--classes",
          "12", "--files", "3", "--seed", "7", "--extreme-fraction", "0.1", "--bad-fraction",
          "0.05", "--dtype", dtype)).isZero();
      GENERATED.put(dtype, dir);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** The output of {@code transform --input input --engine engine args}, run once. */
  private static Path written(Path input, String engine, String... args) {
    List<String> key = new ArrayList<>(List.of(input.toString(), engine));
    key.addAll(Arrays.asList(args));
    return WRITTEN.computeIfAbsent(key, k -> {
      Path out = data.resolve("out-" + RUNS.incrementAndGet());
      List<String> line = new ArrayList<>(List.of("transform", "--input", input.toString(),
          "--output", out.toString(), "--engine", engine));
      line.addAll(Arrays.asList(args));
      InProcess.Run r = run(line.toArray(String[]::new));
      assertThat(r.code()).as("%s: %s", line, r.err()).isZero();
      return out;
    });
  }

  /** The part files' bytes by part number (the job's UUID in their names left out). */
  private static Map<String, byte[]> parts(Path dir) throws IOException {
    Map<String, byte[]> parts = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Matcher m = PART.matcher(p.getFileName().toString());
        if (m.matches()) {
          assertThat(parts.put(m.group(1), Files.readAllBytes(p))).as("one file per part")
              .isNull();
        }
      }
    }
    return parts;
  }

  /** Asserts that two outputs have the same part files, byte for byte; their number. */
  static int assertSameParts(Path expected, Path actual) throws IOException {
    Map<String, byte[]> e = parts(expected);
    Map<String, byte[]> a = parts(actual);
    assertThat(a.keySet()).as("part numbers").isEqualTo(e.keySet()).isNotEmpty();
    for (String part : e.keySet()) {
      assertThat(SafeInputOutputTest.sha256(a.get(part)))
          .as("the SHA-256 of part %s of %s and %s", part, actual, expected)
          .isEqualTo(SafeInputOutputTest.sha256(e.get(part)));
    }
    return e.size();
  }

  /** The SQL function whose value the output {@code name} is, at temperature {@code t}. */
  private static String sql(String name, double t) {
    String temp = t + "D";
    String f = switch (name) {
      case "softmax" -> "softmax(logits, " + temp + ")";
      case "log_softmax" -> "log_softmax(logits, " + temp + ")";
      case "logsumexp" -> "logsumexp(logits, " + temp + ")";
      case "loss" -> "cross_entropy(logits, label, " + temp + ")";
      case "prediction" -> "argmax(logits)";
      case "top_k" -> "top_k(logits, 5)";
      case "entropy" -> "softmax_entropy(logits, " + temp + ")";
      case "max_probability" -> "max_probability(logits, " + temp + ")";
      case "incidents" -> "softmax_incidents(logits, label, 'float32')";
      default -> throw new AssertionError(name);
    };
    return f + " AS " + name;
  }

  /**
   * Asserts that {@code output} holds, per id, the columns {@code kept} of {@code input} and the
   * SQL functions of {@code outputs} on it at temperature {@code t}, bit for bit.
   */
  private void assertSqlValues(Path input, Path output, String outputs, double t,
      String... kept) {
    List<String> expected = new ArrayList<>(List.of(kept));
    List<String> columns = new ArrayList<>(List.of(kept));
    for (String o : outputs.split(",")) {
      expected.add(sql(o, t));
      columns.add(o);
    }
    Dataset<Row> sql = spark().read().parquet(input.toString())
        .selectExpr(expected.toArray(String[]::new)).orderBy("id");
    Dataset<Row> written = spark().read().parquet(output.toString())
        .selectExpr(columns.toArray(String[]::new)).orderBy("id");
    // as read back, every column and element nullable
    assertDataFrameBitsEqual(spark().createDataFrame(sql.javaRDD(), written.schema()), written);
  }

  // ------------------------------------------------------------------ engine parity

  @ParameterizedTest(name = "{0} logits")
  @ValueSource(strings = {"float", "double"})
  void bothEnginesWriteTheSameBytesWithDefaultAndAllOutputs(String dtype) throws IOException {
    Path in = GENERATED.get(dtype);
    String[][] variants = {
        {"--id-col", "id"},
        {"--id-col", "id", "--outputs", ALL, "--temperature", "2.5", "--keep", "all"},
    };
    for (String[] v : variants) {
      assertThat(assertSameParts(written(in, "udf", v), written(in, "arrow", v)))
          .as("one part file per input file").isEqualTo(3);
    }
  }

  // ------------------------------------------------------------------ the SQL functions

  @ParameterizedTest(name = "{0} logits")
  @ValueSource(strings = {"float", "double"})
  void everyOutputIsItsSqlFunctionAtTheTemperatureBitForBit(String dtype) {
    Path in = GENERATED.get(dtype);
    for (String engine : new String[] {"arrow", "udf"}) {
      Path all = written(in, engine, "--id-col", "id", "--outputs", ALL, "--temperature", "2.5",
          "--keep", "all");
      // --keep all: the input's columns as they are, then the outputs
      assertSqlValues(in, all, ALL, 2.5, "id", "label", "logits");
      assertSqlValues(in, written(in, engine, "--id-col", "id"), DEFAULT, 1, "id", "label");
      String e = dtype; // float in, float out
      assertThat(spark().read().parquet(all.toString()).schema().simpleString())
          .as("the output's types").isEqualTo("struct<id:bigint,label:int,logits:array<" + e
              + ">,softmax:array<" + e + ">,log_softmax:array<" + e + ">,logsumexp:double,"
              + "loss:double,prediction:int,top_k:array<int>,entropy:double,"
              + "max_probability:double,incidents:array<string>>");
    }
  }

  // ------------------------------------------------------------------ crafted rows

  private static final double INF = Double.POSITIVE_INFINITY;
  private static final double NAN = Double.NaN;

  /** id, label, logits (null elements allowed), and the incident the row must have. */
  private static final Object[][] CRAFTED = {
      {0L, 0, null, "NULL_LOGITS"},
      {1L, 0, List.of(), "EMPTY_LOGITS"},
      {2L, 0, Arrays.asList(1.0, NAN, 2.0), "NAN_LOGIT"},
      {3L, 1, Arrays.asList(1.0, INF, 2.0), "POS_INF_LOGIT"},
      {4L, 2, Arrays.asList(0.0, -INF, 3.0, -INF), null},
      {5L, 1, Arrays.asList(0.0, -INF, 3.0), "TARGET_MASKED"},
      {6L, 0, Arrays.asList(-INF, -INF), "ALL_MASKED"},
      {7L, 0, Arrays.asList(1.0, null, 2.0), "NULL_ELEMENT"},
      {8L, null, Arrays.asList(1.0, 2.0, 3.0), "NULL_LABEL"},
      {9L, 3, Arrays.asList(1.0, 2.0, 3.0), "LABEL_OUT_OF_RANGE"},
      {10L, -1, Arrays.asList(1.0, 2.0, 3.0), "LABEL_OUT_OF_RANGE"},
      {11L, 1, Arrays.asList(1000.0, 999.0, -1000.0), "NAIVE_OVERFLOW"},
      {12L, 2, Arrays.asList(-1000.0, -1001.0, -1002.0), "NAIVE_UNDERFLOW"},
      {13L, 2, Arrays.asList(0.5, -0.25, 2.0), null},
      {14L, 7, wide(400), null},
  };

  /** A row wider than 1024 bytes: alone in its Arrow batch with {@code --batch-bytes 1024}. */
  private static List<Double> wide(int n) {
    List<Double> x = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      x.add((i % 17) * 0.75 - 4);
    }
    return x;
  }

  /** The crafted rows as Parquet (two files) with logits of {@code dtype}. */
  private Path crafted(String dtype) {
    boolean single = dtype.equals("float");
    List<Row> rows = new ArrayList<>();
    for (Object[] c : CRAFTED) {
      List<?> x = (List<?>) c[2];
      if (x != null && single) {
        x = x.stream().map(v -> v == null ? null : (float) (double) (Double) v).toList();
      }
      rows.add(RowFactory.create(c[0], c[1], x));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType).add("logits", DataTypes.createArrayType(
            single ? DataTypes.FloatType : DataTypes.DoubleType));
    Path dir = data.resolve("crafted-" + dtype);
    if (!Files.exists(dir)) {
      spark().createDataFrame(rows, schema).repartition(2).write().parquet(dir.toString());
    }
    return dir;
  }

  private static double[] doubles(Row r, String column) {
    List<?> list = r.getList(r.fieldIndex(column));
    return list.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  private static long[] bits(double[] values) {
    return Arrays.stream(values).mapToLong(Double::doubleToRawLongBits).toArray();
  }

  @ParameterizedTest(name = "{0} logits")
  @ValueSource(strings = {"float", "double"})
  void nullEmptyNonFiniteMaskedAndHugeRowsAreThoseOfTheSqlFunctions(String dtype)
      throws IOException {
    Path in = crafted(dtype);
    Path arrow = written(in, "arrow", "--id-col", "id", "--outputs", ALL);
    assertSameParts(written(in, "udf", "--id-col", "id", "--outputs", ALL), arrow);
    assertSameParts(arrow, written(in, "arrow", "--id-col", "id", "--outputs", ALL,
        "--batch-bytes", "1024"));
    assertSqlValues(in, arrow, ALL, 1, "id", "label");
    // what the SQL functions give, as DESIGN.md's table says
    Map<Long, Row> byId = new HashMap<>();
    spark().read().parquet(arrow.toString()).collectAsList()
        .forEach(r -> byId.put(r.getLong(0), r));
    assertThat(byId).hasSize(CRAFTED.length);
    for (Object[] c : CRAFTED) {
      List<String> incidents = byId.get((Long) c[0]).getList(byId.get((Long) c[0])
          .fieldIndex("incidents"));
      if (c[3] == null) {
        assertThat(incidents).as("incidents of row %s", c[0]).isEmpty();
      } else {
        assertThat(incidents).as("incidents of row %s", c[0]).contains((String) c[3]);
      }
    }
    Row none = byId.get(0L);
    for (String o : new String[] {"softmax", "logsumexp", "loss", "prediction", "entropy"}) {
      assertThat(none.isNullAt(none.fieldIndex(o))).as("%s of null logits", o).isTrue();
    }
    assertThat(doubles(byId.get(1L), "softmax")).isEmpty();
    assertThat(byId.get(1L).<Double>getAs("logsumexp")).isEqualTo(-INF);
    for (long id : new long[] {2, 3, 6, 7}) {
      double[] nan = new double[((List<?>) CRAFTED[(int) id][2]).size()];
      Arrays.fill(nan, NAN);
      assertThat(bits(doubles(byId.get(id), "softmax"))).as("softmax of row %s", id)
          .containsExactly(bits(nan));
    }
    assertThat(byId.get(6L).<Double>getAs("logsumexp")).isEqualTo(-INF);
    Row masked = byId.get(4L);
    assertThat(doubles(masked, "softmax")[1]).isZero();
    assertThat(doubles(masked, "log_softmax")[3]).isEqualTo(-INF);
    assertThat(masked.<Double>getAs("loss")).isFinite();
    assertThat(byId.get(5L).<Double>getAs("loss")).isEqualTo(INF);
    for (long id : new long[] {8, 9, 10}) {
      assertThat(byId.get(id).isNullAt(byId.get(id).fieldIndex("loss"))).as("loss of %s", id)
          .isTrue();
      assertThat(byId.get(id).<Integer>getAs("prediction")).isEqualTo(2);
    }
    // huge logits: a naive softmax overflows, the stable one is exact
    Row huge = byId.get(11L);
    assertThat(huge.<Double>getAs("loss")).isCloseTo(1 + Math.log1p(Math.exp(-1)),
        within(1e-12));
    assertThat(huge.<Double>getAs("max_probability")).isCloseTo(1 / (1 + Math.exp(-1)),
        within(1e-12));
    assertThat(byId.get(12L).<Double>getAs("loss"))
        .isCloseTo(2 + Math.log1p(Math.exp(-1) + Math.exp(-2)), within(1e-12));
  }

  // ------------------------------------------------------------------ MLlib vectors

  @Test
  void mllibVectorsDenseSparseAndNullGiveTheSoftmaxOfTheirArrays(@TempDir Path tmp)
      throws IOException {
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType).add("rawPrediction", new VectorUDT());
    Map<Long, Vector> vectors = new HashMap<>();
    List<Row> rows = new ArrayList<>();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    for (long id = 0; id < 60; id++) {
      double[] x = new double[5];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextInt(3) == 0 ? 0.0 : rng.nextGaussian() * (id % 10 == 0 ? 300 : 3);
      }
      Vector v = id % 17 == 3 ? null : id % 2 == 0 ? Vectors.dense(x) : Vectors.dense(x)
          .toSparse();
      vectors.put(id, v);
      rows.add(RowFactory.create(id, (int) (id % 5), v));
    }
    Path in = tmp.resolve("vectors");
    spark().createDataFrame(rows, schema).repartition(2).write().parquet(in.toString());
    String[] args = {"--id-col", "id", "--logits-col", "rawPrediction", "--keep", "all"};
    Path arrow = written(in, "arrow", args);
    assertSameParts(written(in, "udf", args), arrow);
    // many small Arrow batches of rows: the same bytes
    List<String> small = new ArrayList<>(List.of(args));
    small.addAll(List.of("--batch-bytes", "1024"));
    assertSameParts(arrow, written(in, "arrow", small.toArray(String[]::new)));

    Dataset<Row> out = spark().read().parquet(arrow.toString());
    assertThat(out.schema().apply("softmax").dataType().simpleString())
        .isEqualTo("array<double>");
    List<Row> read = out.collectAsList();
    assertThat(read).hasSize(60);
    for (Row r : read) {
      Vector v = vectors.get(r.getLong(0));
      assertThat(r.<Vector>getAs("rawPrediction")).as("the kept vector").isEqualTo(v);
      if (v == null) {
        assertThat(r.isNullAt(r.fieldIndex("softmax"))).isTrue();
        continue;
      }
      double[] expected = StableSoftmax.softmax(v.toArray());
      assertThat(bits(doubles(r, "softmax"))).as("softmax of row %d", r.getLong(0))
          .containsExactly(bits(expected));
    }
  }

  // ------------------------------------------------------------------ Arrow memory

  @ParameterizedTest(name = "{0} logits")
  @ValueSource(strings = {"float", "double"})
  void smallArrowBatchesWriteTheSameBytesAndFreeTheirMemory(String dtype) throws IOException {
    Path in = GENERATED.get(dtype);
    String[] all = {"--id-col", "id", "--outputs", ALL, "--temperature", "2.5", "--keep", "all"};
    Path reference = written(in, "arrow", all);
    NoArrowMemoryLeft.assertNoneLeft();
    List<String> small = new ArrayList<>(List.of(all));
    small.addAll(List.of("--batch-bytes", "1024"));
    // 1024 bytes: about 20 rows of 12 floats, 10 of doubles, in each Arrow batch
    assertSameParts(reference, written(in, "arrow", small.toArray(String[]::new)));
    NoArrowMemoryLeft.assertNoneLeft();
  }
}
