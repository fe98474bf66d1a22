package org.stablesoftmax.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.EvalSpec;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.stats.PartitionStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stablesoftmax evaluate}: the mean loss, metrics and incidents of a Parquet dataset. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluates logits stored as Parquet: exact mean cross-entropy, perplexity,"
        + " accuracy, top-k accuracy, entropy and calibration, and every row on which a naive"
        + " softmax would overflow, underflow or give NaN. Prints a table; with --output, writes"
        + " DIR/summary.json.")
final class EvaluateCommand implements Callable<Integer> {

  /** The tables read, their partitions' states, and the evaluation's seconds. */
  private record Evaluation(List<InputTable> tables, List<PartitionStats> parts,
      double seconds) {}

  /** The Arrow engine's bound on a batch's rows (as the Parquet reader's default batch). */
  private static final int BATCH_ROWS = 4096;

  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "A Parquet file, a directory of them, or a glob.")
  String input;

  @Option(names = "--logits-col", paramLabel = "NAME",
      description = "The logits: array<float>, array<double> or an MLlib Vector"
          + " (default ${DEFAULT-VALUE}).")
  String logitsCol;

  @Option(names = "--label-col", paramLabel = "NAME",
      description = "The label: int, bigint or an integral double (default ${DEFAULT-VALUE}).")
  String labelCol;

  @Option(names = "--id-col", paramLabel = "NAME",
      description = "An integer id naming rows in the incident examples; without it, rows are"
          + " named file#row-index.")
  String idCol;

  @Option(names = "--no-label", description = "No label column: softmax-only metrics.")
  boolean noLabel;

  @Option(names = "--temperature", paramLabel = "T",
      description = "Divide the logits by T (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", paramLabel = "K",
      description = "The k of the top-k accuracy (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--naive-dtype", paramLabel = "DTYPE",
      description = "float32, float64, float16 or bfloat16: the dtype of the naive softmax whose"
          + " failures are counted (default ${DEFAULT-VALUE}).")
  String naiveDtype;

  @Option(names = "--ignore-index", paramLabel = "LABEL",
      description = "Skip rows with this label, as PyTorch's ignore_index (e.g. -100).")
  Long ignoreIndex;

  @Option(names = "--engine", paramLabel = "arrow|udf",
      description = "arrow: Arrow batches through the kernel (fast); udf: the Spark SQL"
          + " functions. Both give the same bits (default ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Write DIR/summary.json (DIR must not exist or be empty, unless"
          + " --overwrite); without it, results are only printed.")
  String output;

  @Option(names = "--overwrite", description = "Replace a non-empty output directory.")
  boolean overwrite;

  @Option(names = "--max-incident-rate", paramLabel = "R",
      description = "Exit with code 3 if more than this share of the rows (0 to 1) has an"
          + " incident.")
  Double maxIncidentRate;

  @Option(names = "--ignore-corrupt-files",
      description = "Skip corrupt Parquet files, each whole (listed in the summary), instead of"
          + " failing.")
  boolean ignoreCorruptFiles;

  @Option(names = "--batch-bytes", paramLabel = "BYTES",
      description = "The Arrow engine's batch size bound, in bytes of logits"
          + " (default ${DEFAULT-VALUE}).")
  long batchBytes;

  @Override
  public Integer call() throws Exception {
    if (!StableSoftmax.isValidTemperature(temperature)) {
      throw new UserError("--temperature must be a positive number between 1e-300 and 1e300,"
          + " got " + temperature + ".");
    }
    if (topK < 1) {
      throw new UserError("--top-k must be at least 1, got " + topK + ".");
    }
    NaiveDtype dtype;
    try {
      dtype = NaiveDtype.parse(naiveDtype);
    } catch (IllegalArgumentException e) {
      throw new UserError("--naive-dtype must be float32, float64, float16 or bfloat16, got '"
          + naiveDtype + "'.", e);
    }
    Engine eng;
    try {
      eng = Engine.valueOf(engine.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UserError("--engine must be arrow or udf, got '" + engine + "'.", e);
    }
    if (maxIncidentRate != null && !(maxIncidentRate >= 0 && maxIncidentRate <= 1)) {
      throw new UserError("--max-incident-rate must be between 0 and 1, got " + maxIncidentRate
          + ".");
    }
    if (batchBytes < 1024) {
      throw new UserError("--batch-bytes must be at least 1024, got " + batchBytes + ".");
    }

    SparkSession spark = Spark.session("stablesoftmax evaluate");
    CheckedInput checked = CheckedInput.open(spark, input, logitsCol, ignoreCorruptFiles);
    OutputDir out = output == null ? null : new OutputDir(output, overwrite,
        spark.sparkContext().hadoopConfiguration(), checked.files().paths());
    checked.refuseUnreadableFooters();
    // the reader's batches hold whole rows: keep a batch of wide rows within --batch-bytes
    long rowBytes = 8 * checked.files().valuesPerRow();
    Evaluation done;
    try (SessionSettings settings = new SessionSettings(spark)) {
      if (ignoreCorruptFiles) {
        // a corrupt file is skipped whole, by CheckedInput, never in part by Spark
        settings.set(CheckedInput.SPARK_IGNORES_CORRUPT_FILES, "false");
      }
      settings.set("spark.sql.parquet.columnarReaderBatchSize",
          Long.toString(Math.max(1, Math.min(BATCH_ROWS, batchBytes / rowBytes))));
      done = checked.read(spark, logitsCol, noLabel ? null : labelCol, idCol, tables -> {
        long start = System.nanoTime();
        List<PartitionStats> parts = new ArrayList<>();
        for (InputTable table : tables) {
          EvalSpec spec = new EvalSpec(table.logitsKind, temperature, topK, dtype, !noLabel,
              ignoreIndex != null, ignoreIndex == null ? 0 : ignoreIndex,
              checked.files().commonDirectory(), batchBytes, BATCH_ROWS);
          parts.addAll(eng.evaluate(table.rows, spec));
        }
        return new Evaluation(tables, parts, (System.nanoTime() - start) / 1e9);
      });
    }
    List<PartitionStats> parts = done.parts();
    PartitionStats stats = Engine.merge(parts);
    double seconds = done.seconds();
    checked.checkRowsRead(stats.rows(), spark);

    Map<String, Object> in = new LinkedHashMap<>();
    in.put("path", input);
    in.put("files", (long) checked.files().readable.size());
    in.put("partitions", (long) parts.size());
    in.put("corrupt_files_skipped", checked.skipped());
    in.put("rows_unreadable", checked.unreadableRows());
    in.put("schema", CheckedInput.schemas(done.tables()));
    Map<String, Object> opts = new LinkedHashMap<>();
    opts.put("logits_col", logitsCol);
    opts.put("label_col", noLabel ? null : labelCol);
    opts.put("id_col", idCol);
    opts.put("temperature", temperature);
    opts.put("top_k", (long) topK);
    opts.put("naive_dtype", dtype.label());
    opts.put("ignore_index", ignoreIndex);
    opts.put("engine", eng.name().toLowerCase(Locale.ROOT));
    opts.put("max_incident_rate", maxIncidentRate);
    opts.put("ignore_corrupt_files", ignoreCorruptFiles);
    Summary summary = new Summary(stats, !noLabel, topK, dtype.label(), seconds, in, opts);

    if (out != null) {
      writeSummary(spark, out, summary.json());
    }
    checked.warnSkipped();
    System.out.println("stablesoftmax evaluate " + input);
    System.out.print(summary.table());
    if (out != null) {
      System.out.println("  summary: " + new Path(output, "summary.json"));
    }
    if (maxIncidentRate != null && summary.incidentRate() > maxIncidentRate) {
      System.err.printf("stablesoftmax: %.4f%% of the rows have incidents, more than"
          + " --max-incident-rate %s.%n", 100 * summary.incidentRate(), maxIncidentRate);
      return Main.GATE_FAILED;
    }
    return Main.OK;
  }

  private static void writeSummary(SparkSession spark, OutputDir out, String json)
      throws IOException {
    boolean done = false;
    try {
      Path file = new Path(out.staging(), "summary.json");
      FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (OutputStream o = fs.create(file, false)) {
        o.write(json.getBytes(StandardCharsets.UTF_8));
      }
      out.commit();
      done = true;
    } finally {
      if (!done) {
        out.abort();
      }
    }
  }
}
