package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stablesoftmax.evaluate.ColumnarScan;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.Reference;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.stats.ExactSum;
import org.stablesoftmax.testing.SparkTestBase;

/** {@code stablesoftmax evaluate}, in process, in local mode, on generated data. */
@ExtendWith(NoArrowMemoryLeft.class)
class EvaluateCommandTest extends SparkTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] GENERATE = {"--rows", "3000", "--classes", "40", "--seed", "11",
      "--extreme-fraction", "0.1", "--bad-fraction", "0.05"};

  @TempDir
  static Path data;

  @Override
  public SparkConf conf() {
    // one input partition per file: --files K gives K partitions
    return super.conf().set("spark.sql.files.openCostInBytes", Long.toString(1L << 30));
  }

  @BeforeAll
  static void generate() {
    for (int files : new int[] {1, 3, 17}) {
      assertThat(Main.run(concat(new String[] {"generate", "--output",
          data.resolve("files" + files).toString(), "--files", Integer.toString(files)},
          GENERATE))).isZero();
    }
  }

  // ------------------------------------------------------------------ helpers

  private static String[] concat(String[] a, String... b) {
    return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
  }

  private static String results(JsonNode summary) {
    return InProcess.results(summary, "engine");
  }

  // ------------------------------------------------------------------ results

  @Test
  void bothEnginesOverOneThreeAndSeventeenPartitionsGiveTheSameBits(@TempDir Path out)
      throws IOException {
    String reference = null;
    for (int files : new int[] {1, 3, 17}) {
      for (String engine : new String[] {"arrow", "udf"}) {
        JsonNode s = evaluate(data.resolve("files" + files), out.resolve(engine + files),
            "--engine", engine, "--id-col", "id", "--top-k", "3");
        assertThat(s.at("/input/partitions").asInt()).isEqualTo(files);
        assertThat(s.at("/rows/total").asLong()).isEqualTo(3000);
        String r = results(s);
        if (reference == null) {
          reference = r;
        }
        assertThat(r).as("%s engine, %d partitions", engine, files).isEqualTo(reference);
      }
    }
  }

  @ParameterizedTest(name = "temperature {0}")
  @ValueSource(doubles = {1.0, 2.5, 0.3})
  void theLossAndCountsAreThoseOfTheKernelRowByRow(double t, @TempDir Path out)
      throws IOException {
    JsonNode s = evaluate(data.resolve("files3"), out.resolve("e"), "--id-col", "id",
        "--temperature", Double.toString(t));
    ExactSum sum = new ExactSum();
    long evaluated = 0;
    long finite = 0;
    long correct = 0;
    long top5 = 0;
    // per calibration bin of the kernel's top probability: rows, correct predictions, exact sums
    CalibrationReference calibration = new CalibrationReference(15);
    // the exact Brier scores (big-math) of the rows whose score is defined
    BigDecimal brierSum = BigDecimal.ZERO;
    long brierRows = 0;
    for (Row r : spark().read().parquet(data.resolve("files3").toString()).collectAsList()) {
      if (r.isNullAt(1) || r.isNullAt(2)) {
        continue;
      }
      List<Float> list = r.getList(2);
      int label = r.getInt(1);
      if (list.isEmpty() || label < 0 || label >= list.size()) {
        continue;
      }
      float[] x = new float[list.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = list.get(i) == null ? Float.NaN : list.get(i);
      }
      evaluated++;
      double loss = StableSoftmax.crossEntropy(x, label, t);
      if (Double.isFinite(loss)) {
        sum.add(loss);
        finite++;
      }
      boolean top1 = StableSoftmax.argmax(x) == label;
      correct += top1 ? 1 : 0;
      top5 += Arrays.stream(StableSoftmax.topK(x, 5)).anyMatch(i -> i == label) ? 1 : 0;
      SoftmaxRow analyzed = new SoftmaxRow().analyze(x, 0, x.length, t);
      if (!Double.isNaN(analyzed.brier(label))) {
        double[] wide = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          wide[i] = x[i];
        }
        brierSum = brierSum.add(new Reference(wide, t).brier(label));
        brierRows++;
      }
      calibration.add(analyzed.maxProbability(), top1);
    }
    // torchmetrics' L1, max and L2 calibration errors, in exact arithmetic; the job's come from
    // the bins' sums rounded once, within a few ulps of 1 (the metrics lie in [0, 1])
    double tolerance = 32 * Math.ulp(1.0);
    assertCalibration(s, calibration, tolerance);
    assertThat(calibration.mce().doubleValue()).as("an uncalibrated bin").isGreaterThan(0.1);
    // each row's Brier score within a few ulps of exact, their sum exact: the mean within a few
    // ulps of 1 (scores lie in [0, 2])
    assertThat(s.at("/metrics/brier").doubleValue()).isCloseTo(
        brierSum.divide(BigDecimal.valueOf(brierRows), CalibrationReference.MC).doubleValue(),
        within(tolerance));
    assertThat(brierRows).isGreaterThan(evaluated / 2);
    assertThat(s.at("/rows/evaluated").asLong()).isEqualTo(evaluated);
    assertThat(s.at("/loss/finite").asLong()).isEqualTo(finite);
    assertThat(s.at("/loss/non_finite").asLong()).isEqualTo(evaluated - finite).isPositive();
    assertThat(s.at("/loss/sum").doubleValue()).isEqualTo(sum.doubleValue());
    assertThat(s.at("/loss/mean").doubleValue()).isEqualTo(sum.doubleValue() / finite);
    assertThat(s.at("/loss/perplexity").doubleValue())
        .isEqualTo(StrictMath.exp(sum.doubleValue() / finite));
    assertThat(s.at("/metrics/accuracy").doubleValue()).isEqualTo((double) correct / evaluated);
    assertThat(s.at("/metrics/top_k_accuracy").doubleValue())
        .isEqualTo((double) top5 / evaluated);
    // every skip has its reason, and they add up
    long skipped = 0;
    for (JsonNode n : s.at("/rows/skipped_by_reason")) {
      skipped += n.asLong();
    }
    assertThat(skipped).isEqualTo(s.at("/rows/skipped").asLong()).isEqualTo(3000 - evaluated);
    assertThat(s.at("/rows/skipped_by_reason").fieldNames()).toIterable()
        .contains("null_logits", "empty_logits", "null_label", "label_out_of_range");
    // the extreme rows: a naive float32 softmax fails on some, and they are named
    assertThat(s.at("/incidents/naive_failure_rows").asLong()).isPositive();
    assertThat(s.at("/incidents/examples/NAIVE_OVERFLOW")).hasSize(10);
    // numbers are the shortest text that reads back to the same double
    String text = Files.readString(out.resolve("e/summary.json"));
    assertThat(text).contains("\"mean\" : " + ShortestDouble.of(sum.doubleValue() / finite)
        + ",");
    assertThat(s.at("/timing/evaluate_seconds").doubleValue()).isPositive();
    assertThat(s.at("/input/schema").asText())
        .isEqualTo("struct<id:bigint,label:int,logits:array<float>>");
  }

  /**
   * The summary's ECE, MCE and RMSCE within {@code tolerance} of the exact ones, and its bins'
   * row counts those of the reference.
   */
  static void assertCalibration(JsonNode s, CalibrationReference exact, double tolerance) {
    assertThat(s.at("/metrics/ece").doubleValue())
        .isCloseTo(exact.ece().doubleValue(), within(tolerance));
    assertThat(s.at("/metrics/mce").doubleValue())
        .isCloseTo(exact.mce().doubleValue(), within(tolerance));
    assertThat(s.at("/metrics/rmsce").doubleValue())
        .isCloseTo(exact.rmsce().doubleValue(), within(tolerance));
    assertThat(s.at("/metrics/calibration")).hasSize(exact.bins);
    for (int b = 0; b < exact.bins; b++) {
      assertThat(s.at("/metrics/calibration/" + b + "/rows").asLong()).as("bin %d", b)
          .isEqualTo(exact.rows[b]);
    }
  }

  @ParameterizedTest(name = "naive {0}")
  @ValueSource(strings = {"float32", "float64"})
  void incidentCountsAndExamplesAreThoseOfANaiveLoopWrittenHere(String dtype,
      @TempDir Path out) throws IOException {
    Map<IncidentKind, List<Long>> expected = new EnumMap<>(IncidentKind.class);
    for (IncidentKind k : IncidentKind.values()) {
      expected.put(k, new ArrayList<>());
    }
    long withAny = 0;
    long naiveFailures = 0;
    for (Row r : spark().read().parquet(data.resolve("files3").toString()).collectAsList()) {
      Set<IncidentKind> kinds = NaiveLoop.incidents(r.isNullAt(2) ? null : r.getList(2),
          r.isNullAt(1) ? null : r.getInt(1), dtype.equals("float32"));
      kinds.forEach(k -> expected.get(k).add(r.getLong(0)));
      withAny += kinds.isEmpty() ? 0 : 1;
      naiveFailures += kinds.stream().anyMatch(k -> k == IncidentKind.NAIVE_OVERFLOW
          || k == IncidentKind.NAIVE_UNDERFLOW || k == IncidentKind.NAIVE_TARGET_UNDERFLOW)
          ? 1 : 0;
    }
    for (String engine : new String[] {"arrow", "udf"}) {
      JsonNode s = evaluate(data.resolve("files3"), out.resolve(engine), "--id-col", "id",
          "--naive-dtype", dtype, "--engine", engine);
      for (IncidentKind k : IncidentKind.values()) {
        List<Long> ids = expected.get(k);
        assertThat(s.at("/incidents/counts/" + k.name()).asLong()).as("%s %s", engine, k)
            .isEqualTo(ids.size());
        List<Long> examples = new ArrayList<>();
        s.at("/incidents/examples/" + k.name()).forEach(n -> examples.add(n.asLong()));
        assertThat(examples).as("%s %s examples", engine, k)
            .isEqualTo(ids.stream().sorted().limit(10).toList());
      }
      assertThat(s.at("/incidents/rows").asLong()).isEqualTo(withAny);
      assertThat(s.at("/incidents/naive_failure_rows").asLong()).isEqualTo(naiveFailures);
    }
    if (dtype.equals("float32")) {
      // the generated data hold every kind but those of options not given here: class weights
      // (CLASS_COUNT_MISMATCH), a weight column (BAD_WEIGHT), probabilities (NOT_NORMALIZED),
      // soft targets (BAD_TARGET)
      for (IncidentKind k : IncidentKind.values()) {
        if (!EnumSet.of(IncidentKind.CLASS_COUNT_MISMATCH, IncidentKind.BAD_WEIGHT,
            IncidentKind.NOT_NORMALIZED, IncidentKind.BAD_TARGET).contains(k)) {
          assertThat(expected.get(k)).as("rows with %s", k).isNotEmpty();
        }
      }
    }
  }

  @Test
  void filesSharingAPartitionKeepTheirOwnNamesInTheExamples(@TempDir Path out)
      throws IOException {
    // all 17 files in one partition: the arrow engine takes each file's name once per batch
    spark().conf().set("spark.sql.files.openCostInBytes", "0");
    spark().conf().set("spark.sql.files.maxPartitionBytes", Long.toString(1L << 30));
    spark().conf().set("spark.sql.files.minPartitionNum", "1");
    try {
      JsonNode arrow = evaluate(data.resolve("files17"), out.resolve("a"));
      JsonNode udf = evaluate(data.resolve("files17"), out.resolve("u"), "--engine", "udf");
      assertThat(arrow.at("/input/partitions").asLong()).isEqualTo(1);
      assertThat(results(arrow)).isEqualTo(results(udf));
      Set<String> files = new java.util.TreeSet<>();
      arrow.at("/incidents/examples").forEach(kind -> kind.forEach(
          e -> files.add(e.asText().substring(0, e.asText().indexOf('#')))));
      assertThat(files).as("the files named by examples").hasSizeGreaterThan(3);
    } finally {
      spark().conf().set("spark.sql.files.openCostInBytes", conf().get(
          "spark.sql.files.openCostInBytes"));
      spark().conf().unset("spark.sql.files.maxPartitionBytes");
      spark().conf().unset("spark.sql.files.minPartitionNum");
    }
  }

  @Test
  void withoutAnIdColumnExamplesAreFileAndRowIndex(@TempDir Path out) throws IOException {
    JsonNode arrow = evaluate(data.resolve("files3"), out.resolve("a"));
    JsonNode udf = evaluate(data.resolve("files3"), out.resolve("u"), "--engine", "udf");
    assertThat(results(arrow)).isEqualTo(results(udf));
    String example = arrow.at("/incidents/examples/NAIVE_OVERFLOW/0").asText();
    assertThat(example).matches("part-0000[0-2]-.*\\.parquet#\\d+");
    // the row it names is one of the extreme rows: its id is listed with --id-col
    String file = example.substring(0, example.indexOf('#'));
    long index = Long.parseLong(example.substring(example.indexOf('#') + 1));
    long id = spark().read().parquet(data.resolve("files3").resolve(file).toString())
        .collectAsList().get((int) index).getLong(0);
    JsonNode byId = evaluate(data.resolve("files3"), out.resolve("i"), "--id-col", "id");
    List<Long> ids = new ArrayList<>();
    byId.at("/incidents/examples/NAIVE_OVERFLOW").forEach(n -> ids.add(n.asLong()));
    assertThat(byId.at("/incidents/counts/NAIVE_OVERFLOW").asLong())
        .isEqualTo(arrow.at("/incidents/counts/NAIVE_OVERFLOW").asLong());
    assertThat(spark().read().parquet(data.resolve("files3").toString())
        .filter("id = " + id).count()).isEqualTo(1);
  }

  @Test
  void optionsChangeTheResultsAndBothEnginesFollow(@TempDir Path out) throws IOException {
    String[][] variants = {
        {"--temperature", "2.5", "--naive-dtype", "float16"},
        {"--ignore-index", "3", "--top-k", "1"},
        {"--no-label"},
    };
    for (String[] v : variants) {
      String name = String.join("", v).replace("-", "");
      JsonNode a = evaluate(data.resolve("files3"), out.resolve("a" + name),
          concat(v, "--id-col", "id"));
      JsonNode u = evaluate(data.resolve("files3"), out.resolve("u" + name),
          concat(v, "--id-col", "id", "--engine", "udf"));
      assertThat(results(a)).as(name).isEqualTo(results(u));
    }
    JsonNode plain = evaluate(data.resolve("files3"), out.resolve("plain"), "--id-col", "id");
    JsonNode hot = JSON.readTree(out.resolve("a" + "temperature2.5naivedtypefloat16")
        .resolve("summary.json").toFile());
    assertThat(hot.at("/loss/mean").doubleValue())
        .isNotEqualTo(plain.at("/loss/mean").doubleValue());
    assertThat(hot.at("/incidents/naive_dtype").asText()).isEqualTo("float16");
    JsonNode ignored = JSON.readTree(out.resolve("aignoreindex3topk1/summary.json").toFile());
    assertThat(ignored.at("/rows/skipped_by_reason/ignore_index").asLong()).isPositive();
    assertThat(ignored.at("/metrics/top_k_accuracy").doubleValue())
        .isEqualTo(ignored.at("/metrics/accuracy").doubleValue());
    JsonNode noLabel = JSON.readTree(out.resolve("anolabel/summary.json").toFile());
    assertThat(noLabel.get("loss").isNull()).isTrue();
    assertThat(noLabel.at("/metrics/mean_entropy").isNumber()).isTrue();
    assertThat(noLabel.at("/incidents/counts/NULL_LABEL").asLong()).isZero();
    assertThat(noLabel.at("/rows/skipped_by_reason/null_label").isMissingNode()).isTrue();
  }

  @Test
  void mllibVectorsAndIntegralDoubleLabelsReadAsArraysAndInts(@TempDir Path tmp)
      throws IOException {
    StructType vectors = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.DoubleType).add("rawPrediction", new VectorUDT());
    StructType arrays = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType)
        .add("logits", DataTypes.createArrayType(DataTypes.DoubleType));
    StructType doubles = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.DoubleType)
        .add("logits", DataTypes.createArrayType(DataTypes.DoubleType));
    List<Row> v = new ArrayList<>();
    List<Row> a = new ArrayList<>();
    List<Row> d = new ArrayList<>();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (long id = 0; id < 200; id++) {
      double[] x = new double[6];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextInt(4) == 0 ? 0.0 : rng.nextGaussian() * (id % 10 == 0 ? 500 : 2);
      }
      Vector vec = id % 2 == 0 ? Vectors.dense(x) : Vectors.dense(x).toSparse();
      int label = (int) (id % 7); // 6 is out of range
      double dl = id % 13 == 0 ? label + 0.5 : label; // not a class
      // some null logits, a null vector among them
      boolean none = id % 50 == 7;
      v.add(RowFactory.create(id, dl, none ? null : vec));
      a.add(RowFactory.create(id, id % 13 == 0 ? -1 : label, none ? null : x));
      d.add(RowFactory.create(id, dl, none ? null : x));
    }
    spark().createDataFrame(v, vectors).repartition(3).write().parquet(tmp.resolve("v").toString());
    spark().createDataFrame(a, arrays).repartition(2).write().parquet(tmp.resolve("a").toString());
    spark().createDataFrame(d, doubles).repartition(2).write().parquet(tmp.resolve("d").toString());
    // the Arrow engine reads arrays from the Parquet reader's batches, vectors from rows
    assertThat(columnar(tmp.resolve("a"), "logits")).isTrue();
    assertThat(columnar(tmp.resolve("d"), "logits")).isTrue();
    assertThat(columnar(data.resolve("files3"), "logits")).isTrue();
    assertThat(columnar(tmp.resolve("v"), "rawPrediction")).isFalse();
    JsonNode reference = evaluate(tmp.resolve("a"), tmp.resolve("ra"), "--id-col", "id");
    for (String engine : new String[] {"arrow", "udf"}) {
      assertThat(results(evaluate(tmp.resolve("d"), tmp.resolve("rd" + engine), "--id-col", "id",
          "--engine", engine))).as(engine).isEqualTo(results(reference));
      JsonNode s = evaluate(tmp.resolve("v"), tmp.resolve("rv" + engine), "--id-col", "id",
          "--logits-col", "rawPrediction", "--engine", engine);
      ObjectNode opts = (ObjectNode) s.get("options");
      opts.put("logits_col", "logits");
      assertThat(results(s)).as(engine).isEqualTo(results(reference));
    }
    assertThat(reference.at("/rows/skipped_by_reason/null_logits").asLong()).isEqualTo(4);
    assertThat(reference.at("/rows/skipped_by_reason/label_out_of_range").asLong())
        .isEqualTo(v.stream().filter(r -> r.getDouble(1) >= 6 || r.getDouble(1) % 1 != 0)
            .count());
  }

  /** Whether the Arrow engine reads the input's logits from the Parquet reader's batches. */
  private boolean columnar(Path input, String logits) {
    InputFiles files = InputFiles.check(spark(), input.toString(), logits);
    return ColumnarScan.of(InputTable.read(spark(), files, logits, "label", "id").get(0).rows)
        != null;
  }

  @Test
  void aGateOnTheIncidentRateExitsWithThreeAfterWritingTheSummary(@TempDir Path out)
      throws IOException {
    InProcess.Run r = run("evaluate", "--input", data.resolve("files1").toString(), "--output",
        out.resolve("g").toString(), "--max-incident-rate", "0.01");
    assertThat(r.code()).isEqualTo(3);
    JsonNode s = JSON.readTree(out.resolve("g/summary.json").toFile());
    // the whole summary is written, and the rate it holds is the one the gate judged
    assertThat(s.at("/rows/total").asLong()).isEqualTo(3000);
    double rate = (double) s.at("/incidents/rows").asLong() / 3000;
    assertThat(s.at("/incidents/rate").doubleValue()).isEqualTo(rate).isGreaterThan(0.01);
    assertThat(s.at("/options/max_incident_rate").doubleValue()).isEqualTo(0.01);
    assertThat(r.err()).contains(String.format("%.4f%%", 100 * rate), "--max-incident-rate 0.01");
    assertThat(r.out()).contains("rows with incidents");
    assertThat(run("evaluate", "--input", data.resolve("files1").toString(),
        "--max-incident-rate", "1").code()).isZero();
    assertThat(run("evaluate", "--input", data.resolve("files1").toString(),
        "--max-incident-rate", Double.toString(rate)).code()).as("at the rate").isZero();
  }

  // ------------------------------------------------------------------ bad input

  /**
   * Runs evaluate with {@code args} and {@code --output} in {@code tmp}, asserts a one-sentence
   * error naming {@code what}, and that nothing was written: no output, no staging directory.
   */
  private static void assertBadInputWritesNothing(Path tmp, String[] args, String... what)
      throws IOException {
    Path out = tmp.resolve("out-" + Math.abs(Arrays.hashCode(args)));
    List<String> before;
    try (Stream<Path> files = Files.list(tmp)) {
      before = files.map(Path::toString).sorted().toList();
    }
    assertBadInput(run(concat(concat(new String[] {"evaluate"}, args), "--output",
        out.toString())), what);
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files.map(Path::toString).sorted().toList()).as("nothing written")
          .isEqualTo(before);
    }
  }

  @Test
  void aMissingPathIsNamed(@TempDir Path tmp) throws IOException {
    String missing = tmp.resolve("nowhere").toString();
    assertBadInputWritesNothing(tmp, new String[] {"--input", missing}, missing,
        "does not exist");
  }

  @Test
  void aFileThatIsNotParquetIsNamed(@TempDir Path tmp) throws IOException {
    Path csv = Files.writeString(tmp.resolve("logits.csv"), "id,label,logits\n1,2,3\n");
    assertBadInputWritesNothing(tmp, new String[] {"--input", csv.toString()}, "logits.csv",
        "not a readable Parquet file");
  }

  @Test
  void missingAndWronglyTypedColumnsAreNamed(@TempDir Path tmp) throws IOException {
    String in = data.resolve("files1").toString();
    spark().sql("SELECT 1L AS id, 0 AS label, 'x' AS s, array('a', 'b') AS sa")
        .write().parquet(tmp.resolve("strings").toString());
    String strings = tmp.resolve("strings").toString();
    String[][] cases = {
        {in, "--logits-col", "scores", "'scores'", "columns: id, label, logits"},
        {in, "--label-col", "target", "'target'", "--no-label"},
        {in, "--id-col", "logits", "'logits'", "array<float>"},
        {strings, "--logits-col", "s", "'s'", "has type string"},
        {strings, "--logits-col", "sa", "'sa'", "has type array<string>"},
        {in, "--label-col", "logits", "label column", "array<float>"},
    };
    for (String[] c : cases) {
      assertBadInputWritesNothing(tmp, new String[] {"--input", c[0], c[1], c[2]}, c[3], c[4]);
    }
  }

  @Test
  void aNonEmptyOutputIsRefusedAndKept(@TempDir Path tmp) throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("mine.txt"), "keep");
    assertBadInput(run("evaluate", "--input", data.resolve("files1").toString(), "--output",
        out.toString()), out.toString(), "--overwrite");
    assertThat(out.resolve("mine.txt")).hasContent("keep");
    assertThat(out.resolve("summary.json")).doesNotExist();
    assertThat(run("evaluate", "--input", data.resolve("files1").toString(), "--output",
        out.toString(), "--overwrite").code()).isZero();
    assertThat(out.resolve("mine.txt")).doesNotExist();
    assertThat(out.resolve("summary.json")).exists();
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left).as("no staging directory left").containsExactly(out);
    }
  }

  @Test
  void aTruncatedFileAmongGoodOnesIsNamedOrSkippedAndCounted(@TempDir Path tmp)
      throws IOException {
    Path copy = Files.createDirectories(tmp.resolve("in"));
    List<Path> parts = new ArrayList<>();
    try (Stream<Path> files = Files.list(data.resolve("files3"))) {
      files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted()
          .forEach(parts::add);
    }
    for (Path p : parts) {
      Files.copy(p, copy.resolve(p.getFileName()));
    }
    Path bad = copy.resolve(parts.get(1).getFileName());
    try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    Path out = tmp.resolve("out");
    assertBadInput(run("evaluate", "--input", copy.toString(), "--output", out.toString()),
        bad.getFileName().toString(), "--ignore-corrupt-files");
    assertThat(out).doesNotExist();
    // with more files than Spark lists on the driver, the footers are read on the cluster
    String threshold = "spark.sql.sources.parallelPartitionDiscovery.threshold";
    withSqlConf(threshold, "2", () -> assertBadInput(run("evaluate", "--input",
        copy.toString(), "--output", out.toString()), bad.getFileName().toString(),
        "--ignore-corrupt-files"));
    assertThat(out).doesNotExist();

    JsonNode s = evaluate(copy, out, "--ignore-corrupt-files");
    assertThat(s.at("/input/corrupt_files_skipped")).hasSize(1);
    assertThat(s.at("/input/corrupt_files_skipped/0").asText()).endsWith(
        bad.getFileName().toString());
    long good = spark().read().parquet(parts.get(0).toString(), parts.get(2).toString()).count();
    assertThat(s.at("/rows/total").asLong()).isEqualTo(good).isLessThan(3000);
  }

  @Test
  void badOptionsExitWithTwo(@TempDir Path tmp) throws IOException {
    String in = data.resolve("files1").toString();
    String[][] cases = {
        {"--temperature", "0"}, {"--top-k", "0"}, {"--naive-dtype", "int8"},
        {"--engine", "gpu"}, {"--max-incident-rate", "2"}, {"--batch-bytes", "10"},
    };
    for (String[] c : cases) {
      assertBadInputWritesNothing(tmp, new String[] {"--input", in, c[0], c[1]}, c[0]);
    }
    assertThat(run("evaluate").code()).as("--input is required").isEqualTo(2);
    assertThat(run("evaluate", "--help").out()).contains("--ignore-corrupt-files", "--engine");
  }
}
