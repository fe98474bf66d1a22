package org.stablesoftmax.job;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real command line, {@code stablesoftmax ARGS}, in a fresh {@code java} as users do:
 * Spark's Java 17 options, the vector module, a modest heap, the test classpath,
 * {@code conf/log4j2.properties} (console: warnings, one line each) with the full log in
 * {@code WORKDIR/logs/stablesoftmax.log}, {@code WORKDIR} as the working directory (so
 * {@code WORKDIR/conf/stablesoftmax.properties} is read, and {@code $STABLESOFTMAX_CONF_DIR} is
 * unset) and no input. Fails if the process takes more than {@link #TIMEOUT_SECONDS}.
 */
final class CliProcess {

  static final long TIMEOUT_SECONDS = 180;
  private static final String HEAP = "-Xmx512m";

  /**
   * What the JVM itself prints first, on stderr, whenever the vector module is added (JDK 17 has
   * no switch to turn it off); users see it too, before anything of ours.
   */
  static final String JVM_INCUBATOR_NOTICE =
      "WARNING: Using incubator modules: jdk.incubator.vector";

  /** The exit code and what the process printed. */
  record Result(int exitCode, String stdout, String stderr) {
    /** The lines of stderr after the JVM's {@link #JVM_INCUBATOR_NOTICE}. */
    List<String> stderrLines() {
      List<String> lines = stderr.lines().toList();
      return !lines.isEmpty() && lines.get(0).equals(JVM_INCUBATOR_NOTICE)
          ? lines.subList(1, lines.size()) : lines;
    }
  }

  private CliProcess() {}

  static Result run(Path workDir, String... args) {
    return run(workDir, List.of(), args);
  }

  /** {@link #run(Path, String...)} with more JVM options, e.g. {@code -Dspark.x=y}. */
  static Result run(Path workDir, List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(), HEAP));
    command.addAll(jvmOptions);
    command.addAll(sparkJava17Options());
    command.add("--add-modules=jdk.incubator.vector");
    command.add("-Dlog4j2.configurationFile=" + repoDir().resolve("conf/log4j2.properties"));
    command.add("-Dstablesoftmax.log.file="
        + workDir.toAbsolutePath().resolve("logs/stablesoftmax.log"));
    command.add("-cp");
    command.add(System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")));
    command.add(Main.class.getName());
    command.addAll(Arrays.asList(args));
    try {
      Path out = Files.createTempFile("cli-out", ".txt");
      Path err = Files.createTempFile("cli-err", ".txt");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("STABLESOFTMAX_CONF_DIR");
        Process process = builder.start();
        try {
          if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("stablesoftmax " + String.join(" ", args)
                + " did not end in " + TIMEOUT_SECONDS + " s; its stderr so far: "
                + Files.readString(err));
          }
          return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
          process.destroyForcibly();
        }
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Spark's list, from the udf module's test resources (the parent pom's spark.java17.opens). */
  private static List<String> sparkJava17Options() {
    try (InputStream in = CliProcess.class.getResourceAsStream("/spark-java17-options.txt")) {
      if (in == null) {
        throw new IllegalStateException("spark-java17-options.txt is not on the test classpath");
      }
      return Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip()
          .split("\\s+"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The checkout: this class is in job/target/test-classes. */
  static Path repoDir() {
    try {
      Path classes = Paths.get(CliProcess.class.getProtectionDomain().getCodeSource()
          .getLocation().toURI());
      return classes.getParent().getParent().getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
