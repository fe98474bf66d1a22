package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad usage as users meet it: {@code stablesoftmax ...} in a fresh JVM ({@link CliProcess}), exit
 * code 2 and one line on stderr, log4j's console included; {@code --help} and {@code --version}
 * still in full. None of these starts Spark.
 */
class CommandLineUsageTest {

  private static final String EVALUATE_HELP = "; see 'stablesoftmax evaluate --help'";
  private static final String TOP_HELP = "; see 'stablesoftmax --help'";

  /** The working directory of the runs that share files; it has no conf/ of its own. */
  @TempDir
  static Path work;

  @BeforeAll
  static void confFiles() throws IOException {
    Files.writeString(work.resolve("bad-value.properties"), "evaluate.temperature = abc\n");
    Files.writeString(work.resolve("unknown-keys.properties"),
        "evaluate.top-k = 3\nevaluate.temprature = 2\nbatchbytes = 2048\n");
    Files.createDirectories(work.resolve("a-directory"));
  }

  static Stream<Arguments> usageErrors() {
    return Stream.of(
        Arguments.of("unknown option", List.of("evaluate", "--input", "in", "--frobnicate"),
            List.of("Unknown option '--frobnicate'"), EVALUATE_HELP),
        Arguments.of("mistyped option: the typo, not the missing --input",
            List.of("evaluate", "--inptu", "in"),
            List.of("Unknown option '--inptu'", "did you mean --input?"), EVALUATE_HELP),
        Arguments.of("missing --input", List.of("evaluate"), List.of("--input"), EVALUATE_HELP),
        Arguments.of("--temperature abc", List.of("evaluate", "--input", "in",
            "--temperature", "abc"), List.of("--temperature", "'abc'"), EVALUATE_HELP),
        Arguments.of("unknown subcommand", List.of("frobnicate", "--input", "in"),
            List.of("Unknown subcommand 'frobnicate'"), TOP_HELP),
        Arguments.of("no subcommand", List.of(), List.of("subcommand"), TOP_HELP),
        Arguments.of("bad conf value", List.of("generate", "--rows", "1", "--conf",
            "bad-value.properties", "--output", "out"),
            List.of("bad-value.properties", "evaluate.temperature = abc"), "."),
        Arguments.of("unknown conf keys", List.of("evaluate", "--input", "in", "--conf",
            "unknown-keys.properties"), List.of("unknown-keys.properties",
            "batchbytes, evaluate.temprature"), "."),
        Arguments.of("--conf DIR", List.of("--conf", "a-directory", "evaluate", "--input",
            "in"), List.of("a-directory", "is a directory"), "."),
        Arguments.of("--conf missing file", List.of("evaluate", "--input", "in", "--conf",
            "missing.properties"), List.of("missing.properties", "does not exist"), "."));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usageErrors")
  void eachUsageErrorIsOneLineAndExitCodeTwo(String name, List<String> args,
      List<String> mentions, String ending) {
    CliProcess.Result r = CliProcess.run(work, args.toArray(String[]::new));
    assertOneLineUsageError(r, mentions, ending);
    assertThat(work.resolve("out")).as("nothing written").doesNotExist();
  }

  @Test
  void theConfFileOfTheWorkingDirectoryIsCheckedAndNamed(@TempDir Path dir) throws IOException {
    Path conf = Files.createDirectories(dir.resolve("conf")).resolve(Defaults.FILE);
    Files.writeString(conf, "generate.rows = 10\ngenerate.bogus = 1\n");
    assertOneLineUsageError(CliProcess.run(dir, "generate", "--help"),
        List.of(Path.of("conf", Defaults.FILE).toString(), "generate.bogus"), ".");

    Files.writeString(conf, "generate.rows = many\n");
    assertOneLineUsageError(CliProcess.run(dir, "evaluate", "--input", "in"),
        List.of(Path.of("conf", Defaults.FILE).toString(), "generate.rows = many"), ".");
  }

  @Test
  void theProjectsOwnConfFilePassesAndIsRead(@TempDir Path dir) throws IOException {
    Path conf = Files.createDirectories(dir.resolve("conf")).resolve(Defaults.FILE);
    Files.copy(CliProcess.repoDir().resolve("conf").resolve(Defaults.FILE), conf);
    CliProcess.Result r = CliProcess.run(dir, "evaluate", "--help");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.stderrLines()).as("stderr").isEmpty();

    // proof that ./conf is read, over the built-in copy
    Files.writeString(conf, Files.readString(conf) + "evaluate.top-k = 4\n");
    r = CliProcess.run(dir, "evaluate", "--help");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.stdout()).as("--top-k's default from ./conf").contains("(default 4)");
  }

  @Test
  void aKeyInTheConfOptionsFileWinsOverTheFilesBelowItEvenUnprefixed(@TempDir Path dir)
      throws IOException {
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(dir.resolve("conf").resolve(Defaults.FILE), "evaluate.top-k = 4\n");
    Files.writeString(dir.resolve("mine.properties"), "top-k = 3\n");
    CliProcess.Result r = CliProcess.run(dir, "evaluate", "--conf", "mine.properties",
        "--help");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.stdout()).as("--top-k's default").contains("The k of top-k"
        + " (default 3)");
  }

  @Test
  void aValueOutOfRangeFromAConfFileNamesTheFileAndTheKey(@TempDir Path dir) throws IOException {
    Path conf = Files.writeString(dir.resolve("mine.properties"), "generate.rows = -5\n");
    Path out = dir.resolve("out");
    InProcess.Run r = InProcess.run("generate", "--conf", conf.toString(), "--output",
        out.toString());
    InProcess.assertBadInput(r, "--rows must be at least 0, got -5",
        "(set by generate.rows = -5 in " + conf + ").");
    // given on the command line, the value is the command line's
    InProcess.Run given = InProcess.run("generate", "--conf", conf.toString(), "--output",
        out.toString(), "--rows", "-7");
    InProcess.assertBadInput(given, "--rows must be at least 0, got -7.");
    assertThat(given.err()).doesNotContain("set by");
    assertThat(out).doesNotExist();
  }

  @Test
  void aBatchBoundBeyondWhatArrowIndexesIsRefusedBeforeAnythingRuns(@TempDir Path dir) {
    for (String command : List.of("evaluate", "transform")) {
      Path out = dir.resolve(command);
      InProcess.Run r = InProcess.run(command, "--input", dir.toString(), "--output",
          out.toString(), "--batch-bytes", Long.toString((1L << 30) + 1));
      InProcess.assertBadInput(r, "--batch-bytes must be between 1024 and 1073741824, got "
          + ((1L << 30) + 1) + ".");
      assertThat(out).doesNotExist();
    }
  }

  @Test
  void helpAndVersionStillPrintInFullAndExitZero() {
    CliProcess.Result help = CliProcess.run(work, "evaluate", "--help");
    assertThat(help.exitCode()).as(help.toString()).isZero();
    assertThat(help.stderrLines()).as("stderr").isEmpty();
    assertThat(help.stdout()).as("the whole usage").startsWith("Usage: stablesoftmax evaluate")
        .contains("--input=PATH", "--temperature=T", "--batch-bytes=BYTES", "--conf=FILE",
            "--version");

    CliProcess.Result top = CliProcess.run(work, "--help");
    assertThat(top.exitCode()).as(top.toString()).isZero();
    assertThat(top.stdout()).as("the top-level usage").startsWith("Usage: stablesoftmax")
        .contains("evaluate", "transform", "generate");

    CliProcess.Result version = CliProcess.run(work, "--version");
    assertThat(version.exitCode()).as(version.toString()).isZero();
    assertThat(version.stdout().lines()).as("the version").singleElement().asString()
        .startsWith("stablesoftmax ");
  }

  /** Exit code 2, nothing on stdout, one line on stderr naming {@code mentions}, no trace. */
  private static void assertOneLineUsageError(CliProcess.Result r, List<String> mentions,
      String ending) {
    assertThat(r.exitCode()).as("exit code of %s", r).isEqualTo(2);
    assertThat(r.stdout()).as("stdout").isEmpty();
    assertThat(r.stderrLines()).as("stderr, one line").singleElement().asString()
        .startsWith("stablesoftmax: ").contains(mentions).endsWith(ending);
    assertThat(r.stderr()).as("no stack trace").doesNotContain("\tat ", "Exception");
  }
}
