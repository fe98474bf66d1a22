package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Runs the command line in this JVM (on the test's SparkSession), capturing what it prints. */
final class InProcess {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The tests' common input: an id, a label and double logits (without null elements). */
  static final StructType LABELED_ROWS = new StructType().add("id", DataTypes.LongType)
      .add("label", DataTypes.IntegerType)
      .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false));

  /** {@link #LABELED_ROWS} with a sample weight {@code w}. */
  static final StructType WEIGHTED_ROWS = LABELED_ROWS.add("w", DataTypes.DoubleType);

  private InProcess() {}

  /** The exit code, stdout and stderr of one run. */
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Main.run(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** Runs evaluate on {@code input} with {@code --output}, asserts exit 0; the summary. */
  static JsonNode evaluate(Path input, Path output, String... options) throws IOException {
    List<String> args = new ArrayList<>(List.of("evaluate", "--input", input.toString(),
        "--output", output.toString()));
    args.addAll(List.of(options));
    Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("rows with incidents", "summary: ");
    return JSON.readTree(output.resolve("summary.json").toFile());
  }

  /**
   * The summary without what may differ between runs of the same data (timing, layout) and
   * without the named options, as text.
   */
  static String results(JsonNode summary, String... options) {
    ObjectNode s = summary.deepCopy();
    s.remove("timing");
    s.remove("input");
    if (s.has("bootstrap")) {
      ((ObjectNode) s.get("bootstrap")).remove("seconds");
    }
    if (s.has("calibration")) {
      ((ObjectNode) s.at("/calibration/temperature")).remove("seconds");
    }
    ((ObjectNode) s.get("options")).remove(List.of(options));
    return s.toPrettyString();
  }

  /**
   * Evaluates each input with each engine and {@code options}, asserting that every summary is
   * {@code expected}'s but for the engine (so both engines and every partitioning agree to the
   * bit).
   */
  static void assertEnginesAgree(JsonNode expected, Path out, List<Path> inputs,
      String... options) throws IOException {
    for (String engine : new String[] {"arrow", "udf"}) {
      for (int i = 0; i < inputs.size(); i++) {
        List<String> args = new ArrayList<>(List.of(options));
        args.addAll(List.of("--engine", engine));
        JsonNode other = evaluate(inputs.get(i), out.resolve(engine + i),
            args.toArray(String[]::new));
        assertThat(results(other, "engine")).as("%s, %s", engine, inputs.get(i))
            .isEqualTo(results(expected, "engine"));
      }
    }
  }

  /** Asserts a one-sentence error (exit 2) that names {@code what}. */
  static void assertBadInput(Run r, String... what) {
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err().strip().lines()).as("one line").hasSize(1);
    assertThat(r.err()).startsWith("stablesoftmax: ").contains(what).doesNotContain("\tat ");
  }
}
