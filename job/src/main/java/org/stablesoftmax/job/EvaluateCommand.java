package org.stablesoftmax.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.EvalSpec;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.stats.PartitionStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  /** The most calibration bins: each is a few exact sums in every partition's state. */
  static final int MAX_BINS = 10_000;

  @Mixin
  LogitsOptions in = new LogitsOptions();

  @Option(names = "--ignore-index", paramLabel = "LABEL",
      description = "Skip rows with this label, as PyTorch's ignore_index (e.g. -100).")
  Long ignoreIndex;

  @Option(names = "--calibration-bins", paramLabel = "N", defaultValue = "15",
      description = "Equal-width confidence bins of the calibration metrics (default: 15).")
  int calibrationBins;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Write DIR/summary.json (DIR must not exist or be empty, unless"
          + " --overwrite); without it, results are only printed.")
  String output;

  @Option(names = "--max-incident-rate", paramLabel = "R",
      description = "Exit with code 3 if more than this share of the rows (0 to 1) has an"
          + " incident.")
  Double maxIncidentRate;

  @Override
  public Integer call() throws Exception {
    in.check();
    NaiveDtype dtype = in.dtype();
    Engine eng = in.engine();
    if (calibrationBins < 1 || calibrationBins > MAX_BINS) {
      throw new UserError("--calibration-bins must be between 1 and " + MAX_BINS + ", got "
          + calibrationBins + ".");
    }
    if (maxIncidentRate != null && !(maxIncidentRate >= 0 && maxIncidentRate <= 1)) {
      throw new UserError("--max-incident-rate must be between 0 and 1, got " + maxIncidentRate
          + ".");
    }

    SparkSession spark = Spark.session("stablesoftmax evaluate", true);
    CheckedInput checked = CheckedInput.open(spark, in.input, in.logitsCol,
        in.ignoreCorruptFiles);
    OutputDir out = output == null ? null : new OutputDir(output, in.overwrite,
        spark.sparkContext().hadoopConfiguration(), checked.files().paths());
    checked.refuseUnreadableFooters();
    Evaluation done;
    try (SessionSettings settings = new SessionSettings(spark)) {
      in.configure(settings, checked.files());
      done = checked.read(f -> InputTable.read(spark, f, in.logitsCol, in.label(), in.idCol),
          tables -> {
            long start = System.nanoTime();
            List<PartitionStats> parts = new ArrayList<>();
            for (InputTable table : tables) {
              EvalSpec spec = new EvalSpec(table.logitsKind, in.temperature, in.topK, dtype,
                  !in.noLabel, ignoreIndex != null, ignoreIndex == null ? 0 : ignoreIndex,
                  checked.files().commonDirectory(), in.batchBytes, LogitsOptions.BATCH_ROWS,
                  calibrationBins);
              parts.addAll(eng.evaluate(table.rows, spec));
            }
            return new Evaluation(tables, parts, (System.nanoTime() - start) / 1e9);
          });
    }
    List<PartitionStats> parts = done.parts();
    PartitionStats stats = Engine.merge(parts);
    double seconds = done.seconds();
    checked.checkRowsRead(stats.rows(), spark);

    Map<String, Object> facts = checked.facts(done.tables());
    facts.put("partitions", (long) parts.size());
    Map<String, Object> opts = in.facts();
    opts.put("ignore_index", ignoreIndex);
    opts.put("max_incident_rate", maxIncidentRate);
    opts.put("calibration_bins", (long) calibrationBins);
    Summary summary = new Summary(stats, !in.noLabel, in.topK, dtype.label(), seconds, facts,
        opts);

    if (out != null) {
      writeSummary(out, summary.json());
    }
    checked.warnSkipped();
    System.out.println("stablesoftmax evaluate " + in.input);
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

  private static void writeSummary(OutputDir out, String json)
      throws IOException {
    boolean done = false;
    try {
      out.write("summary.json", json);
      out.commit();
      done = true;
    } finally {
      if (!done) {
        out.abort();
      }
    }
  }
}
