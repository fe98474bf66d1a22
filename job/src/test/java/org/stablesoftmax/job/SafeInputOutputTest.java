package org.stablesoftmax.job;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * No input is ever destroyed, no row is silently dropped: outputs that overlap inputs, inputs in
 * subdirectories, files of mixed types, corrupt pages, and outputs that cannot be written.
 */
class SafeInputOutputTest extends SparkTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path data;
  /** Generated: 3 files of 300 rows of 16 float logits. */
  private static Path base;
  private static final AtomicInteger JOBS = new AtomicInteger();

  @BeforeAll
  void countJobsAndGenerate() {
    spark().sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        JOBS.incrementAndGet();
      }
    });
    base = data.resolve("base");
    assertThat(Main.run("generate", "--output", base.toString(), "--rows", "900", "--classes",
        "16", "--files", "3", "--seed", "5", "--extreme-fraction", "0.1", "--bad-fraction",
        "0.05")).isZero();
  }

  // ------------------------------------------------------------------ helpers

  /** A copy of the generated data at {@code dir}. */
  private static Path copyOfBase(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Path p : parquetFiles(base)) {
      Files.copy(p, dir.resolve(p.getFileName()));
    }
    return dir;
  }

  static List<Path> parquetFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted()
          .toList();
    }
  }

  /** Every file and directory under {@code root}, with a digest of each file's bytes. */
  static TreeMap<String, String> tree(Path root) throws IOException {
    TreeMap<String, String> tree = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String name = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          tree.put(name, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          tree.put(name, "dir");
        } else {
          tree.put(name, sha256(Files.readAllBytes(p)));
        }
      }
    }
    return tree;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String results(JsonNode summary) {
    return InProcess.results(summary, "ignore_corrupt_files");
  }

  private long rows(Path... files) {
    return spark().read().parquet(Stream.of(files).map(Path::toString).toArray(String[]::new))
        .count();
  }

  // ------------------------------------------------------------------ outputs over inputs

  /**
   * Runs evaluate with {@code --output out --overwrite} on {@code input} and asserts the refusal
   * {@code how}, with every file under {@code watched} unchanged and nothing added.
   */
  private static void assertRefused(Path watched, String input, String out, String how)
      throws IOException {
    TreeMap<String, String> before = tree(watched);
    int jobs = JOBS.get();
    assertBadInput(run("evaluate", "--input", input, "--output", out, "--overwrite"), how,
        "nothing was written or deleted");
    assertThat(tree(watched)).as("%s: the files under %s", how, watched).isEqualTo(before);
    assertThat(JOBS.get()).as("Spark jobs run").isEqualTo(jobs);
  }

  @Test
  void anOutputThatIsContainsOrLiesInsideAnInputIsRefusedAndTheInputKept(@TempDir Path tmp)
      throws IOException {
    Path in = copyOfBase(tmp.resolve("data/in"));
    Files.writeString(tmp.resolve("data/unrelated.txt"), "mine");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), in);
    String i = in.toString();
    assertRefused(tmp, i, i, "is the input");
    assertRefused(tmp, i, tmp.resolve("data").toString(), "contains the input");
    assertRefused(tmp, i, tmp.toString(), "contains the input");
    assertRefused(tmp, i, in.resolve("summary").toString(), "lies inside the input");
    // through a symbolic link, both ways
    assertRefused(tmp, i, link.toString(), "is the input");
    assertRefused(tmp, link.toString(), i, "is the input");
    assertRefused(tmp, link.toString(), link.resolve("out").toString(), "lies inside the input");
    // through "..", a relative path and a file: URI
    assertRefused(tmp, i, in.resolve("../in").toString(), "is the input");
    assertRefused(tmp, i, in.resolve("x/../../in/y").toString(), "lies inside the input");
    assertRefused(tmp, i, Paths.get("").toAbsolutePath().relativize(in).toString(),
        "is the input");
    assertRefused(tmp, i, in.toUri().toString(), "is the input");
    assertRefused(tmp, in.toUri().toString(), tmp.resolve("data").toString(),
        "contains the input");
    // a file of the input, and a glob over it
    Path file = parquetFiles(in).get(0);
    assertRefused(tmp, file.toString(), file.toString(), "is the input");
    assertRefused(tmp, in.resolve("*.parquet").toString(), i, "contains the input");
    // beside the input is fine
    assertThat(evaluate(in, tmp.resolve("data/out")).at("/rows/total").asLong()).isEqualTo(900);
  }

  @Test
  void anOutputThatCannotBeWrittenIsFoundBeforeTheEvaluation(@TempDir Path tmp)
      throws Exception {
    Path file = Files.writeString(tmp.resolve("file.txt"), "a file");
    int jobs = JOBS.get();
    assertBadInput(run("evaluate", "--input", base.toString(), "--output",
        file.resolve("out").toString()), "file.txt is a file");
    Path locked = Files.createDirectories(tmp.resolve("locked"));
    ReadOnly.lock(locked);
    try {
      assertBadInput(run("evaluate", "--input", base.toString(), "--output",
          locked.resolve("out").toString()), "cannot be written", locked.toString());
      assertBadInput(run("evaluate", "--input", base.toString(), "--output",
          locked.resolve("a/b").toString()), "cannot be written");
      try (Stream<Path> inside = Files.list(locked)) {
        assertThat(inside).as("nothing created").isEmpty();
      }
    } finally {
      ReadOnly.unlock(locked);
    }
    assertThat(JOBS.get()).as("Spark jobs run").isEqualTo(jobs);
    assertThat(tree(tmp).keySet()).containsExactly("", "file.txt", "locked");
  }

  /** A directory that the running user, root included, cannot write. */
  private static final class ReadOnly {
    private static boolean root() throws Exception {
      Process p = new ProcessBuilder("id", "-u").start();
      return new String(p.getInputStream().readAllBytes()).strip().equals("0");
    }

    static void lock(Path dir) throws Exception {
      if (root()) {
        // root writes anywhere the mode bits forbid it; an immutable directory it cannot
        assertThat(new ProcessBuilder("chattr", "+i", dir.toString()).inheritIO().start()
            .waitFor()).as("chattr +i").isZero();
      } else {
        assertThat(dir.toFile().setWritable(false, false)).isTrue();
      }
    }

    static void unlock(Path dir) throws Exception {
      if (root()) {
        new ProcessBuilder("chattr", "-i", dir.toString()).inheritIO().start().waitFor();
      } else {
        dir.toFile().setWritable(true, true);
      }
    }
  }

  // ------------------------------------------------------------------ every row read

  @Test
  void filesInSubdirectoriesAreReadAndKeyValueDirectoriesAreColumns(@TempDir Path tmp)
      throws IOException {
    List<Path> parts = parquetFiles(base);
    Path in = Files.createDirectories(tmp.resolve("in/sub/deeper"));
    Files.copy(parts.get(0), tmp.resolve("in").resolve(parts.get(0).getFileName()));
    Files.copy(parts.get(1), tmp.resolve("in/sub").resolve(parts.get(1).getFileName()));
    Files.copy(parts.get(2), in.resolve(parts.get(2).getFileName()));
    JsonNode s = evaluate(tmp.resolve("in"), tmp.resolve("out"), "--id-col", "id");
    assertThat(s.at("/rows/total").asLong()).isEqualTo(900);
    assertThat(s.at("/input/files").asLong()).isEqualTo(3);
    assertThat(results(s)).isEqualTo(results(evaluate(base, tmp.resolve("ref"), "--id-col",
        "id")));

    Path kv = tmp.resolve("kv");
    for (int k = 0; k < 3; k++) {
      Path dir = Files.createDirectories(kv.resolve("split=" + k));
      Files.copy(parts.get(k), dir.resolve(parts.get(k).getFileName()));
    }
    JsonNode p = evaluate(kv, tmp.resolve("kvout"), "--id-col", "id");
    assertThat(p.at("/rows/total").asLong()).isEqualTo(900);
    assertThat(p.at("/input/schema").asText()).endsWith(",split:int>");
  }

  @Test
  void floatAndDoubleFilesAreBothReadAsEachAlone(@TempDir Path tmp) throws IOException {
    List<Path> parts = parquetFiles(base);
    Path mixed = Files.createDirectories(tmp.resolve("mixed"));
    Files.copy(parts.get(0), mixed.resolve(parts.get(0).getFileName()));
    Files.copy(parts.get(2), mixed.resolve(parts.get(2).getFileName()));
    // double logits and a bigint label: read apart from the float and int files
    spark().read().parquet(parts.get(1).toString())
        .withColumn("logits", col("logits").cast("array<double>"))
        .withColumn("label", col("label").cast(DataTypes.LongType)).coalesce(1)
        .write().parquet(tmp.resolve("double").toString());
    Path doubles = parquetFiles(tmp.resolve("double")).get(0);
    Files.copy(doubles, mixed.resolve("double.parquet"));
    for (String engine : new String[] {"arrow", "udf"}) {
      JsonNode reference = evaluate(base, tmp.resolve("ref" + engine), "--id-col", "id",
          "--engine", engine);
      JsonNode s = evaluate(mixed, tmp.resolve("out" + engine), "--id-col", "id", "--engine",
          engine);
      assertThat(results(s)).as(engine).isEqualTo(results(reference));
      assertThat(s.at("/input/schema").asText()).as("each kind, sorted").isEqualTo(
          "struct<id:bigint,label:bigint,logits:array<double>>;"
          + " struct<id:bigint,label:int,logits:array<float>>");
      JsonNode ignoring = evaluate(mixed, tmp.resolve("ign" + engine), "--id-col", "id",
          "--engine", engine, "--ignore-corrupt-files");
      assertThat(ignoring.at("/input/corrupt_files_skipped")).as("a type is no corruption")
          .isEmpty();
      assertThat(results(ignoring)).isEqualTo(results(reference));
    }
  }

  @Test
  void incompatibleFilesNameTwoFilesAndTheirTypes(@TempDir Path tmp) throws IOException {
    List<Path> parts = parquetFiles(base);
    Path in = Files.createDirectories(tmp.resolve("in"));
    Files.copy(parts.get(0), in.resolve("a.parquet"));
    spark().read().parquet(parts.get(1).toString())
        .withColumn("label", col("label").cast(DataTypes.StringType)).coalesce(1)
        .write().parquet(tmp.resolve("strings").toString());
    Files.copy(parquetFiles(tmp.resolve("strings")).get(0), in.resolve("b.parquet"));
    for (String flag : new String[] {"--engine=arrow", "--ignore-corrupt-files"}) {
      Path out = tmp.resolve("out");
      assertBadInput(run("evaluate", "--input", in.toString(), "--output", out.toString(),
          flag), "label column 'label'", "string", "a.parquet", "b.parquet", "int");
      assertThat(out).doesNotExist();
    }
  }

  // ------------------------------------------------------------------ corrupt pages

  /** Flips a byte in the middle of the logits column's pages, leaving the footer intact. */
  static void flipALogitsByte(Path file) throws IOException {
    long at;
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
        new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      ColumnChunkMetaData logits = reader.getFooter().getBlocks().get(0).getColumns().stream()
          .filter(c -> c.getPath().toDotString().startsWith("logits")).findFirst()
          .orElseThrow();
      at = logits.getStartingPos() + logits.getTotalSize() / 2;
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5A);
    }
  }

  @Test
  void aFlippedByteInADataPageIsNamedOrSkippedWhole(@TempDir Path tmp) throws IOException {
    Path in = copyOfBase(tmp.resolve("in"));
    List<Path> parts = parquetFiles(in);
    Path bad = parts.get(1);
    long badRows = rows(bad);
    flipALogitsByte(bad);
    Path good = Files.createDirectories(tmp.resolve("good"));
    Files.copy(parts.get(0), good.resolve(parts.get(0).getFileName()));
    Files.copy(parts.get(2), good.resolve(parts.get(2).getFileName()));
    for (String engine : new String[] {"arrow", "udf"}) {
      Path out = tmp.resolve("out" + engine);
      assertBadInput(run("evaluate", "--input", in.toString(), "--output", out.toString(),
          "--engine", engine), bad.getFileName().toString(), "--ignore-corrupt-files");
      assertThat(out).doesNotExist();
      InProcess.Run skipping = run("evaluate", "--input", in.toString(), "--output",
          out.toString(), "--ignore-corrupt-files", "--engine", engine, "--id-col", "id");
      assertThat(skipping.code()).as(skipping.err()).isZero();
      assertThat(skipping.err()).contains("warning: skipped 1 unreadable file(s), " + badRows
          + " rows", bad.getFileName().toString());
      JsonNode s = JSON.readTree(out.resolve("summary.json").toFile());
      assertThat(s.at("/input/corrupt_files_skipped")).hasSize(1);
      assertThat(s.at("/input/corrupt_files_skipped/0").asText())
          .endsWith(bad.getFileName().toString());
      assertThat(s.at("/input/rows_unreadable").asLong()).isEqualTo(badRows);
      assertThat(s.at("/rows/total").asLong()).isEqualTo(rows(parts.get(0), parts.get(2)))
          .isEqualTo(900 - badRows);
      assertThat(results(s)).isEqualTo(results(evaluate(good, tmp.resolve("g" + engine),
          "--engine", engine, "--id-col", "id", "--ignore-corrupt-files")));
    }
  }

  @Test
  void rowsThatSparkSkipsFailTheRunAndNothingIsWritten(@TempDir Path tmp) throws IOException {
    Path in = copyOfBase(tmp.resolve("in"));
    flipALogitsByte(parquetFiles(in).get(2));
    Path out = tmp.resolve("out");
    withSqlConf(CheckedInput.SPARK_IGNORES_CORRUPT_FILES, "true", () -> {
      InProcess.Run r = run("evaluate", "--input", in.toString(), "--output", out.toString());
      assertThat(r.code()).as(r.err()).isEqualTo(1);
      assertThat(r.err()).contains("the footers of the 3 files read promise 900",
          "nothing was written", "--ignore-corrupt-files");
      assertThat(r.err().strip().lines()).hasSize(1);
    });
    assertThat(out).doesNotExist();
  }

  /**
   * As users see it: the real command line in a fresh JVM, its terminal output with log4j's
   * console; each refusal is one line on stderr, and nothing is written.
   */
  @Test
  void eachRefusalIsOneLineOnTheTerminal(@TempDir Path tmp) throws IOException {
    Path in = copyOfBase(tmp.resolve("in"));
    Path corrupt = copyOfBase(tmp.resolve("corrupt"));
    flipALogitsByte(parquetFiles(corrupt).get(0));
    Path file = Files.writeString(tmp.resolve("file.txt"), "a file");
    String[][] cases = {
        {"does not exist", "--input", tmp.resolve("nowhere").toString()},
        {"is the input", "--input", in.toString(), "--output", in.toString(), "--overwrite"},
        {"could not be read", "--input", corrupt.toString()},
        {"is a file", "--input", in.toString(), "--output", file.resolve("out").toString()},
        {"not in", "--input", in.toString(), "--label-col", "target"},
    };
    TreeMap<String, String> before = tree(tmp);
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of("evaluate"));
      args.addAll(List.of(c).subList(1, c.length));
      CliProcess.Result r = CliProcess.run(Files.createDirectories(tmp.resolve("cwd")),
          args.toArray(String[]::new));
      assertThat(r.exitCode()).as("%s: %s", c[0], r.stderr()).isEqualTo(2);
      assertThat(r.stderrLines()).as(c[0]).hasSize(1);
      assertThat(r.stderrLines().get(0)).startsWith("stablesoftmax: ").contains(c[0]);
      assertThat(r.stderr()).as(c[0]).doesNotContain("\tat ", "Exception");
      assertThat(r.stdout()).as(c[0]).isEmpty();
      assertThat(Files.readString(tmp.resolve("cwd/logs/stablesoftmax.log"))).as("the log")
          .contains(c[0]);
    }
    before.put("cwd", "dir");
    TreeMap<String, String> after = tree(tmp);
    after.keySet().removeIf(k -> k.startsWith("cwd/"));
    assertThat(after).as("nothing written").isEqualTo(before);
  }

  @Test
  void generatedFilesCarryPageChecksums(@TempDir Path tmp) throws IOException {
    Path in = copyOfBase(tmp.resolve("in"));
    for (Path p : parquetFiles(in)) {
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
          new org.apache.hadoop.fs.Path(p.toUri()), new Configuration()))) {
        var page = reader.readNextRowGroup().getPageReader(reader.getFooter().getFileMetaData()
            .getSchema().getColumns().get(0)).readPage();
        assertThat(page.getCrc()).as("page CRC of %s", p.getFileName()).isPresent();
      }
    }
  }
}
