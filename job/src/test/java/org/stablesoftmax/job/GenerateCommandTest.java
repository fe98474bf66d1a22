package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.testing.SparkTestBase;

/** {@code stablesoftmax generate}, in process, in local mode. */
class GenerateCommandTest extends SparkTestBase {

  private Dataset<Row> sorted(Path dir) {
    return spark().read().parquet(dir.toString()).orderBy("id");
  }

  private List<Row> rows(Path dir) {
    return sorted(dir).collectAsList();
  }

  @Test
  void theSameSeedGivesTheSameRowsWhateverTheNumberOfFiles(@TempDir Path tmp) {
    Path one = tmp.resolve("one");
    Path three = tmp.resolve("three");
    String[] common = {"--rows", "600", "--classes", "7", "--seed", "5",
        "--extreme-fraction", "0.2", "--bad-fraction", "0.2"};
    assertThat(Main.run(concat("generate", "--output", one.toString(), "--files", "1", common)))
        .isZero();
    assertThat(Main.run(concat("generate", "--output", three.toString(), "--files", "3",
        common))).isZero();
    List<Row> a = rows(one);
    // as text: rows holding NaN are not equal() to themselves
    assertThat(a).hasSize(600);
    assertThat(a.toString()).isEqualTo(rows(three).toString());
    // and as DataFrames: the same schema, the same rows bit for bit
    assertDataFrameBitsEqual(sorted(one), sorted(three));
    assertThat(spark().read().parquet(three.toString()).inputFiles()).hasSize(3);
    assertThat(spark().read().parquet(one.toString()).schema().simpleString())
        .isEqualTo("struct<id:bigint,label:int,logits:array<float>>");
    // bad rows are there: null logits, null labels, empty arrays, null elements
    assertThat(a).anyMatch(r -> r.isNullAt(2));
    assertThat(a).anyMatch(r -> r.isNullAt(1));
    assertThat(a).anyMatch(r -> !r.isNullAt(2) && r.getList(2).isEmpty());
    assertThat(a).anyMatch(r -> !r.isNullAt(2) && r.getList(2).contains(null));
    // extreme rows: a naive float32 softmax overflows on logits near 1000
    assertThat(a).anyMatch(r -> !r.isNullAt(2) && r.<Float>getList(2).stream()
        .anyMatch(v -> v != null && v > 900));
  }

  @Test
  void doublesOnRequest(@TempDir Path tmp) {
    Path out = tmp.resolve("d");
    assertThat(Main.run("generate", "--output", out.toString(), "--rows", "10", "--classes",
        "3", "--dtype", "double")).isZero();
    assertThat(spark().read().parquet(out.toString()).schema().apply("logits").dataType()
        .simpleString()).isEqualTo("array<double>");
  }

  @Test
  void groupsOfKRowsOnRequest(@TempDir Path tmp) {
    Path out = tmp.resolve("g");
    assertThat(Main.run("generate", "--output", out.toString(), "--rows", "25", "--classes",
        "3", "--group-size", "4", "--files", "2")).isZero();
    for (Row r : spark().read().parquet(out.toString()).collectAsList()) {
      assertThat(r.getLong(r.fieldIndex("group"))).isEqualTo(r.getLong(0) / 4);
    }
    assertThat(Main.run("generate", "--output", tmp.resolve("bad").toString(), "--group-size",
        "-1")).isEqualTo(2);
  }

  @Test
  void aNonEmptyOutputIsRefusedWithoutOverwriteAndNothingIsLeftBehind(@TempDir Path tmp)
      throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "mine");
    assertThat(Main.run("generate", "--output", out.toString(), "--rows", "5")).isEqualTo(2);
    assertThat(out.resolve("keep.txt")).hasContent("mine");
    assertThat(Main.run("generate", "--output", out.toString(), "--rows", "5", "--classes", "2",
        "--overwrite")).isZero();
    assertThat(out.resolve("keep.txt")).doesNotExist();
    assertThat(rows(out)).hasSize(5);
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left).as("no staging directory left").containsExactly(out);
    }
  }

  @Test
  void badOptionsExitWithTwo(@TempDir Path tmp) {
    String out = tmp.resolve("x").toString();
    assertThat(Main.run("generate", "--output", out, "--dtype", "half")).isEqualTo(2);
    assertThat(Main.run("generate", "--output", out, "--classes", "0")).isEqualTo(2);
    assertThat(Main.run("generate", "--output", out, "--rows", "many")).isEqualTo(2);
    assertThat(Main.run("generate")).as("--output is required").isEqualTo(2);
    assertThat(Main.run("generate", "--output", out, "--conf", tmp.resolve("none").toString()))
        .isEqualTo(2);
    assertThat(Main.run("frobnicate")).isEqualTo(2);
    assertThat(Main.run("generate", "--help")).isZero();
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void confFileDefaultsAndFlagsOverrideThem(@TempDir Path tmp) throws IOException {
    Path conf = Files.writeString(tmp.resolve("my.properties"),
        "generate.rows = 12\ngenerate.classes = 4\n");
    Path out = tmp.resolve("c");
    assertThat(Main.run("generate", "--conf", conf.toString(), "--output", out.toString()))
        .isZero();
    assertThat(rows(out)).hasSize(12).allMatch(r -> r.isNullAt(2) || r.getList(2).size() <= 4);
    Path out2 = tmp.resolve("c2");
    assertThat(Main.run("generate", "--conf", conf.toString(), "--output", out2.toString(),
        "--rows", "3")).isZero();
    assertThat(rows(out2)).hasSize(3);
  }

  private static String[] concat(String a, String b, String c, String d, String e,
      String[] rest) {
    return Stream.concat(Stream.of(a, b, c, d, e), Stream.of(rest)).toArray(String[]::new);
  }
}
