package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.stablesoftmax.evaluate.Engine;

/**
 * The thin job jar submitted with {@code SparkSubmit} (what {@code bin/spark-submit} runs) to a
 * real standalone cluster on loopback: a master and two workers (one core, 1 GiB each), separate
 * JVMs started from the Maven-resolved Spark jars, with {@code spark.authenticate} and a secret
 * made for the run. The summaries must be those of local mode to the bit, also when an executor
 * is killed mid-stage and when every task fails its first attempt; a transform whose executor is
 * killed mid-stage writes and counts every row once; a submission without the
 * secret, or with a wrong one, is refused. Every process is stopped by pid at the end; the logs
 * of the master, the workers, the executors and the drivers stay under
 * {@code target/cluster-it/}.
 */
class StandaloneClusterIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR = Paths.get(System.getProperty("cluster.dir"));
  private static final Path LOGS = DIR.resolve("logs");
  private static final Path JAR = Paths.get(System.getProperty("thin.jar"));
  private static final String JAVA = Paths.get(System.getProperty("java.home"), "bin", "java")
      .toString();
  private static final List<String> OPENS =
      Arrays.asList(System.getProperty("spark.java17.opens").trim().split("\\s+"));
  private static final String SECRET = HexFormat.of().formatHex(
      new SecureRandom().generateSeed(16));
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static final List<Process> PROCESSES = new ArrayList<>();
  private static Path sparkHome;
  private static String classpath;
  private static int masterPort;
  private static int masterUi;
  private static final List<Process> WORKERS = new ArrayList<>();
  private static Path data;
  private static JsonNode local;
  private static int submissions;

  // ------------------------------------------------------------------ the cluster

  @BeforeAll
  static void startCluster() throws Exception {
    Runtime.getRuntime().addShutdownHook(new Thread(StandaloneClusterIT::stopAll));
    deleteRecursively(DIR);
    Files.createDirectories(LOGS);
    sparkHome = sparkHome();
    classpath = sparkHome.resolve("jars") + File.separator + "*";
    startMaster();
    for (int w = 1; w <= 2; w++) {
      Path work = Files.createDirectories(DIR.resolve("worker" + w));
      WORKERS.add(daemon("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host",
          "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port",
          Integer.toString(freePort()), "--work-dir", work.toString(),
          "spark://127.0.0.1:" + masterPort));
    }
    await("two workers register", 90, () -> masterJson().path("aliveworkers").asInt() == 2);

    // the data, and its evaluation in local mode: one input partition per file
    data = DIR.resolve("logits");
    run(submit("local[2]", List.of(), "generate", "--output", data.toString(), "--rows",
        "300000", "--classes", "128", "--files", "8", "--seed", "5"), 0);
    local = evaluate("local[2]", List.of("spark.sql.files.openCostInBytes=1073741824"), "local");
    assertThat(local.at("/input/partitions").asInt()).isEqualTo(8);
    assertThat(local.at("/rows/total").asLong()).isEqualTo(300000);
    assertThat(local.at("/incidents/naive_failure_rows").asLong()).isPositive();
  }

  @AfterAll
  static void stopCluster() {
    stopAll();
  }

  /** Every process this class started, and theirs (the executors), by pid. */
  private static synchronized void stopAll() {
    for (Process p : PROCESSES) {
      List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
      tree.add(p.toHandle());
      tree.forEach(ProcessHandle::destroyForcibly);
      for (ProcessHandle h : tree) {
        h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
      }
    }
    PROCESSES.clear();
  }

  /** A Spark home from the Maven-resolved jars (see shared/notes/standalone-cluster.md). */
  private static Path sparkHome() throws IOException {
    Path home = DIR.resolve("spark-home");
    Path jars = Files.createDirectories(home.resolve("jars"));
    Files.createDirectories(home.resolve("conf"));
    // the launcher refuses to start executors without a build directory
    Files.createDirectories(home.resolve("launcher/target/scala-2.12"));
    String cp = Files.readString(Paths.get(System.getProperty("spark.classpath.file"))).strip();
    for (String jar : cp.split(File.pathSeparator)) {
      Path link = jars.resolve(Paths.get(jar).getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, Paths.get(jar));
      }
    }
    return home;
  }

  private static void startMaster() throws Exception {
    for (int attempt = 1; ; attempt++) {
      masterPort = freePort();
      masterUi = freePort();
      Process master = daemon("master", "org.apache.spark.deploy.master.Master", "--host",
          "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port",
          Integer.toString(masterUi));
      try {
        await("the master is alive", 60, () -> master.isAlive()
            && "ALIVE".equals(masterJson().path("status").asText()));
        return;
      } catch (AssertionError e) {
        // a port taken between choosing and binding: try others
        master.destroyForcibly().waitFor();
        if (attempt == 3) {
          throw e;
        }
      }
    }
  }

  private static Process daemon(String name, String mainClass, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx256m"));
    cmd.addAll(OPENS);
    cmd.addAll(List.of("-Dspark.authenticate=true", "-Dspark.authenticate.secret=" + SECRET,
        "-cp", classpath, mainClass));
    cmd.addAll(Arrays.asList(args));
    return start(name, cmd, Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION",
        "2.12"));
  }

  /**
   * Starts {@code cmd} on loopback, with no input, its output in {@code LOGS/name.out} and
   * {@code .err}, to be stopped by {@link #stopAll}.
   */
  private static synchronized Process start(String name, List<String> cmd,
      Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
        .redirectOutput(LOGS.resolve(name + ".out").toFile())
        .redirectError(LOGS.resolve(name + ".err").toFile());
    pb.environment().putAll(env);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().remove("STABLESOFTMAX_CONF_DIR");
    Process p = pb.start();
    PROCESSES.add(p);
    return p;
  }

  private static JsonNode masterJson() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + masterUi + "/json/"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body());
    } catch (IOException e) {
      return JSON.createObjectNode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return JSON.createObjectNode();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ------------------------------------------------------------------ submissions

  /** A submission: the driver process and where its output goes. */
  private record Submission(Process process, Path err) {
    String stderr() throws IOException {
      return Files.readString(err);
    }

    /** Whether the driver has written {@code text} to stderr yet. */
    boolean said(String text) {
      try {
        return stderr().contains(text);
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * Submits the thin jar with SparkSubmit in client mode: to the cluster with the secret unless
   * {@code confs} set {@code spark.authenticate} themselves, or to a local master.
   */
  private static Submission submit(String master, List<String> confs, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx1g",
        "--add-modules=jdk.incubator.vector"));
    cmd.addAll(OPENS);
    cmd.addAll(List.of("-cp", classpath, "org.apache.spark.deploy.SparkSubmit", "--master",
        master, "--deploy-mode", "client", "--class", "org.stablesoftmax.job.Main"));
    List<String> all = new ArrayList<>(List.of("spark.driver.host=127.0.0.1",
        "spark.driver.bindAddress=127.0.0.1", "spark.ui.enabled=false",
        "spark.executor.memory=512m",
        "spark.local.dir=" + DIR.resolve("local"),
        "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector"));
    boolean cluster = master.startsWith("spark://");
    if (cluster) {
      // small input partitions: more tasks than executors, and split otherwise than in local
      all.add("spark.sql.files.maxPartitionBytes=8m");
    }
    if (cluster && confs.stream().noneMatch(c -> c.startsWith("spark.authenticate"))) {
      all.add("spark.authenticate=true");
      all.add("spark.authenticate.secret=" + SECRET);
    }
    all.addAll(confs);
    for (String c : all) {
      cmd.add("--conf");
      cmd.add(c);
    }
    cmd.add(JAR.toString());
    cmd.addAll(Arrays.asList(args));
    String name = "driver" + ++submissions;
    Files.writeString(LOGS.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
    return new Submission(start(name, cmd, Map.of()), LOGS.resolve(name + ".err"));
  }

  private static void run(Submission s, int expectedExit) throws Exception {
    if (!s.process().waitFor(5, TimeUnit.MINUTES)) {
      // what it waits for, then stop it: a driver left running would keep the cluster's cores
      // from every later test
      Path dumps = threadDumps(s);
      s.process().descendants().forEach(ProcessHandle::destroyForcibly);
      s.process().destroyForcibly().waitFor();
      List<String> lines = Files.readAllLines(s.err());
      throw new AssertionError("the driver did not end in 5 minutes; thread dumps in " + dumps
          + "; its last lines: " + String.join(" | ",
              lines.subList(Math.max(0, lines.size() - 4), lines.size())));
    }
    assertThat(s.process().exitValue()).as("driver exit; stderr in %s", s.err())
        .isEqualTo(expectedExit);
  }

  /**
   * The threads of the driver {@code s} and of every executor the workers run, as {@code jcmd}
   * prints them, into one file under the logs; its path.
   */
  private static Path threadDumps(Submission s) throws Exception {
    Path out = Paths.get(s.err().toString().replaceFirst("\\.err$", ".threads"));
    StringBuilder sb = new StringBuilder();
    List<ProcessHandle> all = new ArrayList<>(List.of(s.process().toHandle()));
    for (Process w : WORKERS) {
      all.addAll(w.descendants().toList());
    }
    Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
    for (ProcessHandle h : all) {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(h.pid()), "Thread.print")
          .redirectErrorStream(true).start();
      String dump = new String(p.getInputStream().readAllBytes());
      p.waitFor(30, TimeUnit.SECONDS);
      sb.append("==== ").append(h.pid()).append(' ')
          .append(h.info().commandLine().orElse("")).append('\n').append(dump).append('\n');
    }
    Files.writeString(out, sb);
    return out;
  }

  /** Evaluates the data on {@code master}; the summary. */
  private static JsonNode evaluate(String master, List<String> confs, String name)
      throws Exception {
    Path output = DIR.resolve("evaluation-" + name);
    run(submit(master, confs, evaluateArgs(output)), 0);
    return JSON.readTree(output.resolve("summary.json").toFile());
  }

  private static String[] evaluateArgs(Path output) {
    return new String[] {"evaluate", "--input", data.toString(), "--id-col", "id", "--output",
        output.toString()};
  }

  private static String cluster() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /**
   * The summary without what may differ between runs of the same data: the timing, and how the
   * input was split into partitions.
   */
  private static String results(JsonNode summary) {
    ObjectNode s = summary.deepCopy();
    s.remove("timing");
    ((ObjectNode) s.get("input")).remove("partitions");
    return s.toPrettyString();
  }

  private static void await(String what, int seconds, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting until " + what + " (logs in " + LOGS + ")");
      }
      Thread.sleep(200);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }

  // ------------------------------------------------------------------ the tests

  @Test
  void onTheClusterTheSummaryIsThatOfLocalModeToTheBit() throws Exception {
    Set<Path> before = executorLogs();
    JsonNode s = evaluate(cluster(), List.of(), "cluster");
    assertThat(s.at("/input/partitions").asInt()).as("split otherwise than in local mode")
        .isNotEqualTo(8);
    assertThat(results(s)).isEqualTo(results(local));
    // each of the run's executors warmed the kernel as it started
    Set<Path> executors = executorLogs();
    executors.removeAll(before);
    assertThat(executors).as("the run's executors' logs").hasSizeGreaterThanOrEqualTo(2);
    for (Path log : executors) {
      assertThat(Files.readString(log)).as("%s", log)
          .contains("warmed the kernel on " + Warmup.rows() + " rows");
    }
  }

  /** The stderr files of every executor the workers have run. */
  private static Set<Path> executorLogs() throws IOException {
    Set<Path> logs = new HashSet<>();
    for (int w = 1; w <= 2; w++) {
      try (Stream<Path> files = Files.walk(DIR.resolve("worker" + w), 3)) {
        files.filter(f -> f.getFileName().toString().equals("stderr")).forEach(logs::add);
      }
    }
    return logs;
  }

  @Test
  void anExecutorKilledMidStageLosesAndDoublesNothing() throws Exception {
    Path output = DIR.resolve("evaluation-killed");
    Submission s = submit(cluster(), List.of(), evaluateArgs(output));
    // the evaluation is the application's only stage
    killAnExecutorMidStage(s);
    assertThat(results(JSON.readTree(output.resolve("summary.json").toFile())))
        .isEqualTo(results(local));
  }

  @Test
  void aTransformWithAnExecutorKilledMidStageWritesAndCountsEveryRowOnce() throws Exception {
    Path output = DIR.resolve("transform-killed");
    Submission s = submit(cluster(), List.of(), "transform", "--input", data.toString(),
        "--id-col", "id", "--output", output.toString());
    // the write is the application's only stage; the command checks that the rows written
    // and the rows counted are the rows read, or exits 1
    killAnExecutorMidStage(s);
    JsonNode t = JSON.readTree(output.resolve("_transform.json").toFile());
    assertThat(t.get("rows").asLong()).isEqualTo(local.at("/rows/total").asLong());
    assertThat(t.get("incidents").toPrettyString())
        .isEqualTo(local.get("incidents").toPrettyString());
  }

  /**
   * Kills an executor of worker 1 once both executors run a task of the submission's stage 0,
   * then waits for the submission to end well despite it.
   */
  private static void killAnExecutorMidStage(Submission s) throws Exception {
    try {
      await("stage 0 runs on both executors", 180,
          () -> s.said("Starting task 1.0 in stage 0.0"));
    } catch (AssertionError e) {
      s.process().descendants().forEach(ProcessHandle::destroyForcibly);
      s.process().destroyForcibly().waitFor();
      throw e;
    }
    ProcessHandle worker = WORKERS.get(0).toHandle();
    Optional<ProcessHandle> executor = worker.children()
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .findFirst();
    assertThat(executor).as("an executor of worker 1").isPresent();
    assertThat(executor.get().destroyForcibly()).as("SIGKILL sent").isTrue();
    executor.get().onExit().get(10, TimeUnit.SECONDS);
    assertThat(s.stderr()).as("killed while the stage ran").doesNotContain("Job 0 finished");
    run(s, 0);
    assertThat(s.stderr()).as("the driver saw the executor go").containsIgnoringCase("lost");
  }

  @Test
  void everyTaskFailingItsFirstAttemptChangesNothing() throws Exception {
    String fail = Engine.FAIL_FIRST_ATTEMPT + "=true";
    JsonNode onCluster = evaluate(cluster(), List.of(fail), "retried-cluster");
    JsonNode inLocal = evaluate("local[2,4]", List.of(fail), "retried-local");
    assertThat(results(onCluster)).isEqualTo(results(local));
    assertThat(results(inLocal)).isEqualTo(results(local));
    // the switch did fail them: Spark logged the failed attempts
    String logs = Files.readString(LOGS.resolve("driver" + (submissions - 1) + ".err"))
        + Files.readString(LOGS.resolve("driver" + submissions + ".err"));
    assertThat(logs).contains("fails its first attempt, as " + Engine.FAIL_FIRST_ATTEMPT);
  }

  @Test
  void aSubmissionWithoutTheSecretOrWithAWrongOneIsRefused() throws Exception {
    refused(List.of("spark.authenticate=true", "spark.authenticate.secret=not-" + SECRET),
        "Mismatched response", "wrong-secret");
    refused(List.of("spark.authenticate=false"), "Expected SaslMessage", "no-secret");
  }

  private static void refused(List<String> confs, String message, String name)
      throws Exception {
    Path output = DIR.resolve("evaluation-" + name);
    Submission s = submit(cluster(), confs, evaluateArgs(output));
    try {
      await("the master refuses " + name, 120,
          () -> s.said(message) || !s.process().isAlive());
      assertThat(s.stderr()).contains(message);
      assertThat(s.stderr()).doesNotContain("Starting task");
    } finally {
      s.process().descendants().forEach(ProcessHandle::destroyForcibly);
      s.process().destroyForcibly().waitFor();
    }
    assertThat(output).doesNotExist();
  }
}
