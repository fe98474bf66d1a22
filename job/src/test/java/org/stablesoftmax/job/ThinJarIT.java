package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thin application jar ({@code stablesoftmax-<version>.jar}, for spark-submit) and
 * {@code scripts/submit.sh}: what the jar holds, that it runs on the classpath of Spark alone,
 * and the spark-submit command line the script builds. Runs after {@code package} (failsafe).
 */
class ThinJarIT {

  private static final Path JAR = Paths.get(System.getProperty("thin.jar"));
  private static final String VERSION = System.getProperty("project.version");
  private static final Path SUBMIT = Paths.get(System.getProperty("repo.dir"), "scripts",
      "submit.sh");
  private static final File NO_INPUT = new File("/dev/null");

  @Test
  void theJarHoldsOurClassesAndRelocatedPicocliAndNothingThatSparkProvides() throws IOException {
    List<String> entries;
    Attributes manifest;
    try (JarFile jar = new JarFile(JAR.toFile())) {
      entries = jar.stream().map(JarEntry::getName).collect(Collectors.toList());
      manifest = jar.getManifest().getMainAttributes();
    }
    assertThat(JAR.getFileName().toString()).isEqualTo("stablesoftmax-" + VERSION + ".jar");
    assertThat(entries).contains("org/stablesoftmax/job/Main.class",
        "org/stablesoftmax/kernel/StableSoftmax.class",
        "org/stablesoftmax/udf/StableSoftmaxFunctions.class",
        "org/stablesoftmax/shaded/picocli/CommandLine.class",
        "stablesoftmax.properties");
    assertThat(entries).as("unrelocated picocli, Spark, Hadoop, Arrow, Parquet, Scala, Jackson")
        .noneMatch(e -> e.startsWith("picocli/") || e.startsWith("org/apache/")
            || e.startsWith("scala/") || e.startsWith("com/fasterxml/")
            || e.startsWith("org/slf4j/") || e.startsWith("io/netty/"));
    assertThat(entries).as("only ours, relocated picocli and metadata")
        .allMatch(e -> e.startsWith("org/stablesoftmax/") || e.startsWith("META-INF/")
            || e.equals("org/") || e.equals("stablesoftmax.properties"));
    assertThat(entries).as("no module descriptor, no signature")
        .noneMatch(e -> e.endsWith("module-info.class") || e.endsWith(".SF")
            || e.endsWith(".RSA") || e.endsWith(".DSA"));
    assertThat(manifest.getValue(Attributes.Name.MAIN_CLASS))
        .isEqualTo("org.stablesoftmax.job.Main");
    assertThat(manifest.getValue(Attributes.Name.IMPLEMENTATION_VERSION)).isEqualTo(VERSION);
  }

  @Test
  void theJarRunsOnTheClasspathOfSparkAlone(@TempDir Path tmp) throws Exception {
    String sparkClasspath =
        Files.readString(Paths.get(System.getProperty("spark.classpath.file"))).strip();
    assertThat(sparkClasspath).as("Spark alone").contains("spark-sql_2.12-3.5.7.jar")
        .doesNotContain("stablesoftmax").doesNotContain("picocli");
    String classpath = JAR + File.pathSeparator + sparkClasspath;
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();

    // picocli's system properties keep their names: picocli.trace turns its tracing on
    Result version = run(tmp, new ProcessBuilder(java, "-Xmx256m",
        "--add-modules=jdk.incubator.vector", "-Dpicocli.trace=DEBUG", "-cp", classpath,
        "org.stablesoftmax.job.Main", "--version").redirectInput(NO_INPUT), null);
    assertThat(version.exit()).as(version.toString()).isZero();
    assertThat(version.out()).isEqualTo("stablesoftmax " + VERSION + "\n");
    assertThat(version.err()).contains("[picocli DEBUG]");

    Result help = run(tmp, new ProcessBuilder(java, "-Xmx256m",
        "--add-modules=jdk.incubator.vector", "-cp", classpath, "org.stablesoftmax.job.Main",
        "generate", "--help").redirectInput(NO_INPUT), null);
    assertThat(help.exit()).as(help.toString()).isZero();
    assertThat(help.out()).startsWith("Usage: stablesoftmax generate")
        .contains("--output=DIR", "--rows=N", "Writes reproducible synthetic logits");
  }

  @Test
  void submitPutsOurOptionsFirstThenTheUsersThenTheJarThenTheSubcommand(@TempDir Path tmp)
      throws Exception {
    Path sparkHome = stubSparkHome(tmp);
    ProcessBuilder submit = new ProcessBuilder(SUBMIT.toString(), "--master",
        "spark://host:7077", "--executor-memory", "4g", "--conf", "spark.app.name=a b", "--",
        "evaluate", "--input", "s3a://b/logits", "--output", "s3a://b/eval");
    submit.environment().put("SPARK_HOME", sparkHome.toString());
    submit.environment().remove("STABLESOFTMAX_JAR");
    // the script gives spark-submit /dev/null, not what is typed at it
    Result result = run(tmp, submit, "typed\n");
    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(result.out().lines()).containsExactly(
        "--class", "org.stablesoftmax.job.Main",
        "--conf", "spark.driver.extraJavaOptions=--add-modules=jdk.incubator.vector",
        "--conf", "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector",
        "--master", "spark://host:7077", "--executor-memory", "4g",
        "--conf", "spark.app.name=a b",
        JAR.toRealPath().toString(),
        "evaluate", "--input", "s3a://b/logits", "--output", "s3a://b/eval",
        "stdin:");

    // STABLESOFTMAX_JAR overrides the jar; a URI is passed as it is
    submit = new ProcessBuilder(SUBMIT.toString(), "--", "generate", "--help")
        .redirectInput(NO_INPUT);
    submit.environment().put("SPARK_HOME", sparkHome.toString());
    submit.environment().put("STABLESOFTMAX_JAR", "local:///opt/stablesoftmax.jar");
    result = run(tmp, submit, null);
    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(result.out().lines()).containsSequence("local:///opt/stablesoftmax.jar",
        "generate", "--help");
  }

  @Test
  void submitWithoutSparkHomeOrJarSaysSoInOneLineAndExits2(@TempDir Path tmp) throws Exception {
    ProcessBuilder submit = new ProcessBuilder(SUBMIT.toString(), "--", "generate", "--help")
        .redirectInput(NO_INPUT);
    submit.environment().remove("SPARK_HOME");
    Result result = run(tmp, submit, null);
    assertThat(result.exit()).as(result.toString()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines()).singleElement().asString().contains("SPARK_HOME");

    submit.environment().put("SPARK_HOME", stubSparkHome(tmp).toString());
    submit.environment().put("STABLESOFTMAX_JAR", tmp.resolve("missing.jar").toString());
    result = run(tmp, submit, null);
    assertThat(result.exit()).as(result.toString()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines()).singleElement().asString().contains("missing.jar");
  }

  /** A SPARK_HOME whose bin/spark-submit prints its arguments one a line, then its input. */
  private static Path stubSparkHome(Path tmp) throws IOException {
    Path home = tmp.resolve("spark");
    Path submit = home.resolve("bin").resolve("spark-submit");
    if (!Files.exists(submit)) {
      Files.createDirectories(submit.getParent());
      Files.writeString(submit,
          "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\nprintf 'stdin:%s\\n' \"$(cat)\"\n");
      assertThat(submit.toFile().setExecutable(true)).isTrue();
    }
    return home;
  }

  private record Result(int exit, String out, String err) {}

  /** Runs a child process in {@code dir} with a minute to finish; {@code input} may be null. */
  private static Result run(Path dir, ProcessBuilder builder, String input) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    builder.directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().remove("STABLESOFTMAX_CONF_DIR");
    Process process = builder.start();
    try {
      if (input != null) {
        try (OutputStream in = process.getOutputStream()) {
          in.write(input.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
          // the child did not read its input: fine
        }
      }
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s ends", builder.command())
          .isTrue();
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      process.destroyForcibly();
    }
  }
}
