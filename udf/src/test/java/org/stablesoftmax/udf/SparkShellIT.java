package org.stablesoftmax.udf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's second way in, for real: Spark 3.5.7's spark-shell ({@code SparkSubmit} running
 * {@code org.apache.spark.repl.Main}, as {@code bin/spark-shell} does) on the classpath of Spark
 * alone, with the packaged udf jar on {@code --jars} and the extension on {@code --conf}, runs the
 * README's queries and prints the README's outputs. Runs after {@code package} (failsafe).
 */
class SparkShellIT {

  @Test
  void theUdfJarOnSparkAloneGivesTheReadmeOutputsInSparkShell() throws Exception {
    Path jar = Paths.get(System.getProperty("udf.jar"));
    String sparkClasspath =
        Files.readString(Paths.get(System.getProperty("spark.classpath.file"))).strip();
    assertThat(jar).exists();
    assertThat(sparkClasspath).as("Spark alone").doesNotContain("stablesoftmax")
        .contains("spark-repl_2.12-3.5.7.jar");

    List<ReadmeQueries> examples = ReadmeQueries.read();
    assertThat(examples).hasSizeGreaterThanOrEqualTo(2);
    Path dir = Paths.get("target", "spark-shell-it");
    Files.createDirectories(dir);
    StringBuilder script = new StringBuilder();
    for (ReadmeQueries e : examples) {
      script.append("spark.sql(\"\"\"").append(e.sql()).append("\"\"\").show(false)\n");
    }
    Path scala = Files.writeString(dir.resolve("readme.scala"), script);
    Path log = dir.resolve("spark-shell.log");

    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("--add-modules=jdk.incubator.vector");
    command.addAll(Arrays.asList(sparkJava17Options()));
    command.add("-Dscala.usejavacp=true");
    command.addAll(List.of("-cp", sparkClasspath, "org.apache.spark.deploy.SparkSubmit",
        "--master", "local[2]", "--class", "org.apache.spark.repl.Main", "--name", "Spark shell",
        "--jars", jar.toAbsolutePath().toString(),
        "--conf", "spark.sql.extensions=org.stablesoftmax.udf.StableSoftmaxExtensions",
        "--conf", "spark.ui.enabled=false",
        "spark-shell", "-I", scala.toAbsolutePath().toString()));
    Process shell = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(
            Paths.get("/dev/null").toFile())).start();
    try {
      assertThat(shell.waitFor(240, TimeUnit.SECONDS)).as("spark-shell ends; log " + log).isTrue();
    } finally {
      shell.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(shell.exitValue()).as("exit code; log " + log).isZero();
    assertThat(output).as(log.toString()).doesNotContain("Exception").doesNotContain("error:");
    for (ReadmeQueries e : examples) {
      assertThat(output).as("the README's output of " + e.sql()).contains(e.shown());
    }
  }

  private static String[] sparkJava17Options() throws IOException {
    try (InputStream in = SparkShellIT.class.getResourceAsStream(
        "/spark-java17-options.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split("\\s+");
    }
  }
}
