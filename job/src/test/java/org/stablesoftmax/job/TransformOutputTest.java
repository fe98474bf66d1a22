package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.run;
import static org.stablesoftmax.job.SafeInputOutputTest.parquetFiles;
import static org.stablesoftmax.job.SafeInputOutputTest.tree;
import static org.stablesoftmax.job.TransformCommandTest.assertSameParts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code stablesoftmax transform}'s rows and files: ids kept, every row once in the input's
 * partitions and order, the kept columns, {@code _transform.json} against the written rows and
 * {@code evaluate}, retried tasks, the output whole or not at all, the refusals, the progress.
 */
@ExtendWith(NoArrowMemoryLeft.class)
class TransformOutputTest extends SparkTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] ENGINES = {"arrow", "udf"};

  @TempDir
  static Path data;
  /** Generated: 3 files of 200 rows of 12 float logits. */
  private static Path base;
  private static final AtomicInteger FAILED_TASKS = new AtomicInteger();

  @Override
  public SparkConf conf() {
    // one input partition per file; a failed task is tried again (up to 4 attempts)
    return super.conf().setMaster("local[2,4]")
        .set("spark.sql.files.openCostInBytes", Long.toString(1L << 30));
  }

  @BeforeAll
  void countFailedTasksAndGenerate() {
    spark().sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        if (!taskEnd.taskInfo().successful()) {
          FAILED_TASKS.incrementAndGet();
        }
      }
    });
    base = data.resolve("base");
    assertThat(Main.run("generate", "--output", base.toString(), "--rows", "600", "--classes",
        "12", "--files", "3", "--seed", "9", "--extreme-fraction", "0.1", "--bad-fraction",
        "0.05")).isZero();
  }

  // ------------------------------------------------------------------ helpers

  /** Runs transform, asserts exit 0; its {@code _transform.json}. */
  private static JsonNode transform(Path input, Path output, String... options)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("transform", "--input", input.toString(),
        "--output", output.toString()));
    args.addAll(List.of(options));
    InProcess.Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as("%s: %s", args, r.err()).isZero();
    assertThat(r.out()).contains("rows", "written", "_transform.json");
    return JSON.readTree(output.resolve("_transform.json").toFile());
  }

  /** The JSON without what differs between runs of the same data: timing, the output path. */
  private static String results(JsonNode json) {
    ObjectNode j = json.deepCopy();
    j.remove("timing");
    ((ObjectNode) j.get("output")).remove("path");
    return j.toPrettyString();
  }

  private List<Long> ids(Path... parquet) {
    return spark().read().parquet(Stream.of(parquet).map(Path::toString).toArray(String[]::new))
        .select("id").collectAsList().stream().map(r -> r.getLong(0)).toList();
  }

  private static Path copyOfBase(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Path p : parquetFiles(base)) {
      Files.copy(p, dir.resolve(p.getFileName()));
    }
    return dir;
  }

  private static List<Long> sorted(List<Long> ids) {
    return ids.stream().sorted().toList();
  }

  /** The names in {@code dir}, to see that nothing (no staging directory) was added. */
  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  // ------------------------------------------------------------------ rows and columns

  @Test
  void everyRowOnceByIdInTheInputsPartitionsAndOrder(@TempDir Path tmp) throws IOException {
    List<List<Long>> inputFiles = new ArrayList<>();
    for (Path f : parquetFiles(base)) {
      inputFiles.add(ids(f));
    }
    assertThat(spark().read().parquet(base.toString()).rdd().getNumPartitions()).isEqualTo(3);
    Dataset<Row> labels = spark().read().parquet(base.toString()).select("id", "label")
        .orderBy("id");
    for (String engine : ENGINES) {
      Path out = tmp.resolve(engine);
      assertThat(transform(base, out, "--id-col", "id", "--engine", engine).get("rows").asLong())
          .isEqualTo(600);
      Dataset<Row> written = spark().read().parquet(out.toString());
      assertThat(written.columns()).as("the id and label kept by default").containsExactly(
          "id", "label", "softmax", "loss", "prediction", "max_probability", "incidents");
      assertThat(sorted(ids(out))).as("each input row once").isEqualTo(sorted(ids(base)))
          .doesNotHaveDuplicates();
      assertDataFrameEquals(labels, written.select("id", "label").orderBy("id"));
      // no shuffle: a part file per input partition, each one input file's rows in order
      List<List<Long>> outputParts = new ArrayList<>();
      for (Path part : parquetFiles(out)) {
        outputParts.add(ids(part));
      }
      assertThat(outputParts).as(engine).containsExactlyInAnyOrderElementsOf(inputFiles);
    }
  }

  @Test
  void keepAllCopiesEveryInputColumnWithItsValuesAndTypes(@TempDir Path tmp)
      throws IOException {
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType)
        .add("logits", DataTypes.createArrayType(DataTypes.FloatType))
        .add("name", DataTypes.StringType).add("at", DataTypes.TimestampType)
        .add("point", new StructType().add("x", DataTypes.IntegerType)
            .add("tag", DataTypes.StringType))
        .add("tags", DataTypes.createArrayType(DataTypes.StringType));
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 40; id++) {
      rows.add(RowFactory.create(id, (int) (id % 4), id % 9 == 4 ? null
              : Arrays.asList((float) id, -1.5f, 0.25f * id, 3f),
          id % 7 == 1 ? null : "row " + id, new Timestamp(1_700_000_000_000L + id * 86_399_123L),
          id % 5 == 2 ? null : RowFactory.create((int) id * 3, "t" + id),
          id % 6 == 0 ? null : Arrays.asList("a" + id, null, "b")));
    }
    Path in = tmp.resolve("in");
    spark().createDataFrame(rows, schema).repartition(2).write().parquet(in.toString());
    Dataset<Row> input = spark().read().parquet(in.toString());
    String[] columns = input.columns();
    for (String engine : ENGINES) {
      Path out = tmp.resolve(engine);
      transform(in, out, "--id-col", "id", "--keep", "all", "--engine", engine);
      Dataset<Row> written = spark().read().parquet(out.toString());
      assertThat(Arrays.copyOf(written.schema().fields(), columns.length))
          .as("the input's columns first, as they are").containsExactly(input.schema().fields());
      assertDataFrameBitsEqual(input.orderBy("id"),
          written.selectExpr(columns).orderBy("id"));
    }
    Path some = tmp.resolve("some");
    transform(in, some, "--id-col", "id", "--keep", "point,id", "--outputs", "prediction");
    Dataset<Row> written = spark().read().parquet(some.toString());
    assertThat(written.columns()).containsExactly("point", "id", "prediction");
    assertDataFrameEquals(input.select("point", "id").orderBy("id"),
        written.select("point", "id").orderBy("id"));
  }

  @Test
  void badKeepAndOutputsAreRefusedBeforeAnythingIsWritten(@TempDir Path tmp)
      throws IOException {
    Path in = tmp.resolve("in");
    spark().sql("SELECT id, CAST(id % 3 AS INT) AS label, array(0.5F, 1.0F, CAST(id AS FLOAT))"
        + " AS logits, 0.5D AS loss FROM range(20)").coalesce(1).write().parquet(in.toString());
    String[][] cases = {
        {"'nosuch'", "--keep", "id,nosuch"},
        {"'loss'", "--keep", "all"},
        {"'loss'", "--keep", "id,loss"},
        {"'probabilities'", "--outputs", "softmax,probabilities"},
        {"'prediction' is named twice", "--outputs", "prediction,softmax,prediction"},
        {"--no-label", "--no-label", "--outputs", "loss"},
        // the default list, given: loss asked for
        {"--no-label", "--no-label", "--outputs",
            "softmax,loss,prediction,max_probability,incidents"},
    };
    Path out = tmp.resolve("out");
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of("transform", "--input", in.toString(),
          "--output", out.toString(), "--id-col", "id"));
      args.addAll(List.of(c).subList(1, c.length));
      assertBadInput(run(args.toArray(String[]::new)), c[0]);
      assertThat(names(tmp)).as("nothing written: %s", args).containsExactly("in");
    }
    // the loss column is kept, under its name, when the output loss is not asked for
    transform(in, out, "--id-col", "id", "--keep", "id,loss", "--outputs", "softmax");
    assertThat(spark().read().parquet(out.toString()).columns())
        .containsExactly("id", "loss", "softmax");
    // without a label the default leaves loss out, and keeps the id only
    Path noLabel = tmp.resolve("no-label");
    JsonNode json = transform(base, noLabel, "--id-col", "id", "--no-label");
    assertThat(spark().read().parquet(noLabel.toString()).columns())
        .containsExactly("id", "softmax", "prediction", "max_probability", "incidents");
    assertThat(json.at("/incidents/counts/NULL_LABEL").asLong()).isZero();
  }

  // ------------------------------------------------------------------ _transform.json

  @Test
  void theJsonCountsTheIncidentsOfTheWrittenRowsAsEvaluateDoes(@TempDir Path tmp)
      throws IOException {
    JsonNode summary = evaluate(base, tmp.resolve("evaluate"), "--id-col", "id");
    for (String engine : ENGINES) {
      Path out = tmp.resolve(engine);
      JsonNode json = transform(base, out, "--id-col", "id", "--engine", engine);
      assertThat(json.get("rows").asLong()).isEqualTo(ids(base).size());
      List<List<String>> written = spark().read().parquet(out.toString()).select("incidents")
          .collectAsList().stream().map(r -> r.<String>getList(0)).toList();
      long total = 0;
      for (IncidentKind k : IncidentKind.values()) {
        long rows = written.stream().filter(l -> l.contains(k.name())).count();
        total += rows;
        assertThat(json.at("/incidents/counts/" + k.name()).asLong()).as("%s %s", engine, k)
            .isEqualTo(rows)
            .isEqualTo(summary.at("/incidents/counts/" + k.name()).asLong());
      }
      assertThat(total).as("incidents in the generated rows").isGreaterThan(20);
      assertThat(json.at("/incidents/rows").asLong())
          .isEqualTo(written.stream().filter(l -> !l.isEmpty()).count());
      assertThat(json.get("incidents")).as("as evaluate counts them")
          .isEqualTo(summary.get("incidents"));
      assertThat(json.at("/options/keep").toString()).isEqualTo("[\"id\",\"label\"]");
    }
  }

  /** Runs {@code body} with every transform task failing its first attempt. */
  private static void failingFirstAttempts(IoRunnable body) throws IOException {
    // the executors' settings, read by each task: in local mode the driver's own
    SparkConf conf = SparkEnv.get().conf();
    conf.set(Engine.FAIL_FIRST_ATTEMPT, "true");
    try {
      body.run();
    } finally {
      conf.remove(Engine.FAIL_FIRST_ATTEMPT);
    }
  }

  private interface IoRunnable {
    void run() throws IOException;
  }

  @Test
  void retriedTasksAreCountedAndWrittenOnce(@TempDir Path tmp) throws Exception {
    for (String engine : ENGINES) {
      Path normal = tmp.resolve("normal-" + engine);
      Path retried = tmp.resolve("retried-" + engine);
      JsonNode reference = transform(base, normal, "--id-col", "id", "--engine", engine);
      spark().sparkContext().listenerBus().waitUntilEmpty();
      int failed = FAILED_TASKS.get();
      JsonNode[] json = new JsonNode[1];
      failingFirstAttempts(() -> json[0] = transform(base, retried, "--id-col", "id",
          "--engine", engine));
      spark().sparkContext().listenerBus().waitUntilEmpty();
      assertThat(FAILED_TASKS.get() - failed).as("each of the 3 tasks failed once")
          .isEqualTo(3);
      assertThat(results(json[0])).as(engine).isEqualTo(results(reference));
      assertThat(assertSameParts(normal, retried)).isEqualTo(3);
      assertThat(sorted(ids(retried))).isEqualTo(sorted(ids(base)));
    }
  }

  // ------------------------------------------------------------------ whole or not at all

  @Test
  void aNonEmptyOutputIsRefusedUntouchedAndReplacedWithOverwrite(@TempDir Path tmp)
      throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("mine.txt"), "keep");
    TreeMap<String, String> before = tree(tmp);
    assertBadInput(run("transform", "--input", base.toString(), "--output", out.toString()),
        out.toString(), "--overwrite");
    assertThat(tree(tmp)).as("untouched").isEqualTo(before);
    JsonNode json = transform(base, out, "--overwrite", "--id-col", "id");
    assertThat(json.get("rows").asLong()).isEqualTo(600);
    assertThat(names(out)).doesNotContain("mine.txt").contains("_SUCCESS", "_transform.json");
    assertThat(spark().read().parquet(out.toString()).count()).isEqualTo(600);
    assertThat(names(tmp)).as("no staging directory left").containsExactly("out");
  }

  @Test
  void anOutputThatIsOrLiesInsideTheInputIsRefusedAndTheInputKept(@TempDir Path tmp)
      throws IOException {
    Path in = copyOfBase(tmp.resolve("in"));
    TreeMap<String, String> before = tree(tmp);
    String[][] cases = {
        {in.toString(), "is the input"},
        {in.resolve("out").toString(), "lies inside the input"},
        {tmp.toString(), "contains the input"},
    };
    for (String[] c : cases) {
      assertBadInput(run("transform", "--input", in.toString(), "--output", c[0],
          "--overwrite"), c[1], "nothing was written or deleted");
      assertThat(tree(tmp)).as("%s: every file's bytes", c[1]).isEqualTo(before);
    }
  }

  @Test
  void aFileThatFailsWhileReadLeavesNothingOrIsSkippedWhole(@TempDir Path tmp)
      throws IOException {
    Path in = copyOfBase(tmp.resolve("in"));
    List<Path> files = parquetFiles(in);
    Path bad = files.get(1);
    // its footer is fine: the write has begun when the file fails
    SafeInputOutputTest.flipALogitsByte(bad);
    List<String> made = new ArrayList<>(List.of("in"));
    for (String engine : ENGINES) {
      Path out = tmp.resolve("out-" + engine);
      assertBadInput(run("transform", "--input", in.toString(), "--output", out.toString(),
          "--engine", engine), bad.getFileName().toString(), "--ignore-corrupt-files");
      assertThat(names(tmp)).as("no output, no staging directory").isEqualTo(made);
      JsonNode json = transform(in, out, "--engine", engine, "--id-col", "id",
          "--ignore-corrupt-files");
      made.add(out.getFileName().toString());
      assertThat(json.at("/input/corrupt_files_skipped")).hasSize(1);
      assertThat(json.at("/input/corrupt_files_skipped/0").asText())
          .endsWith("/in/" + bad.getFileName());
      List<Long> others = sorted(ids(files.get(0), files.get(2)));
      assertThat(json.get("rows").asLong()).isEqualTo(others.size());
      assertThat(sorted(ids(out))).as("the other files' rows, each once").isEqualTo(others);
    }
    // a file whose footer cannot be read is refused before anything is made
    try (RandomAccessFile f = new RandomAccessFile(files.get(0).toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertBadInput(run("transform", "--input", in.toString(), "--output",
        tmp.resolve("out").toString()), files.get(0).getFileName().toString(),
        "--ignore-corrupt-files");
    assertThat(names(tmp)).isEqualTo(made);
  }

  @Test
  void floatAndDoubleFilesAreRefusedNamingBoth(@TempDir Path tmp) throws IOException {
    Path in = Files.createDirectories(tmp.resolve("in"));
    Files.copy(parquetFiles(base).get(0), in.resolve("a.parquet"));
    spark().read().parquet(parquetFiles(base).get(1).toString())
        .selectExpr("id", "label", "CAST(logits AS array<double>) AS logits").coalesce(1)
        .write().parquet(tmp.resolve("doubles").toString());
    Files.copy(parquetFiles(tmp.resolve("doubles")).get(0), in.resolve("b.parquet"));
    for (String engine : ENGINES) {
      assertBadInput(run("transform", "--input", in.toString(), "--output",
          tmp.resolve("out").toString(), "--engine", engine), "a.parquet", "b.parquet",
          "array<float>", "array<double>");
      assertThat(names(tmp)).containsExactly("doubles", "in");
    }
  }

  // ------------------------------------------------------------------ as users see it

  @Test
  void aFreshJvmPrintsALinePerFinishedStageAndTheCounts(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("out");
    CliProcess.Result r = CliProcess.run(Files.createDirectories(tmp.resolve("cwd")),
        "transform", "--input", base.toString(), "--output", out.toString(), "--id-col", "id");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stderrLines()).as(r.stderr())
        .anyMatch(l -> l.matches("stage \\d+ done: 600 rows (read|written) in .* rows/s\\)"));
    JsonNode json = JSON.readTree(out.resolve("_transform.json").toFile());
    assertThat(r.stdout()).contains("600 written", "NAIVE_OVERFLOW",
        Long.toString(json.at("/incidents/counts/NAIVE_OVERFLOW").asLong()));
  }
}
