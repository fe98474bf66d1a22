package org.stablesoftmax.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.stablesoftmax.compare.PairedStats;
import org.stablesoftmax.compare.Pairing;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.EvalSpec;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.Scores;
import org.stablesoftmax.report.CompareReport;
import org.stablesoftmax.stats.BootstrapIntervals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code stablesoftmax compare}: two models' logits on the same rows, paired by id. Each input's
 * rows are scored as {@code evaluate} scores them; the pairs are made in one shuffle.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Compares two models' logits on the same rows, paired by --id-col: both"
        + " models' metrics over the pairs compared, the paired difference of mean loss (B - A),"
        + " with --bootstrap its paired bootstrap interval, and McNemar's exact test on accuracy."
        + " Rows in one input only, duplicate ids and disagreeing labels are counted and named."
        + " Prints a table; with --output, writes DIR/compare.json and DIR/compare.html.")
final class CompareCommand implements Callable<Integer> {

  @Mixin
  LogitsOptions in = new LogitsOptions();

  @Option(names = "--a", required = true, paramLabel = "PATH",
      description = "Model A's logits: a Parquet file, a directory of them, or a glob.")
  String a;

  @Option(names = "--b", required = true, paramLabel = "PATH",
      description = "Model B's logits on the same rows (the same ids and labels), as --a.")
  String b;

  @Option(names = "--calibration-bins", paramLabel = "N", defaultValue = "15",
      description = "Equal-width confidence bins of the calibration metrics (default: 15).")
  int calibrationBins;

  @Option(names = "--per-class",
      description = "Per class: support and both models' precision, recall, F1 and mean loss and"
          + " their differences, in DIR/compare_per_class.parquet with --output; and the macro"
          + " and weighted averages in compare.json.")
  boolean perClass;

  @Option(names = "--bootstrap", paramLabel = "B",
      description = "A paired bootstrap 95%% interval of the loss difference (and intervals of"
          + " each model's metrics) from B replicates, resampling the buckets of"
          + " evaluate --bootstrap: the same buckets of (seed, id) for both models.")
  Integer bootstrap;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
      description = "Seed of --bootstrap (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Write DIR/compare.json and DIR/compare.html (DIR must not exist or be empty,"
          + " unless --overwrite); without it, results are only printed.")
  String output;

  /** The two inputs' checked files, as A and B. */
  private CheckedInput checkedA;
  private CheckedInput checkedB;

  @Override
  public Integer call() throws Exception {
    in.check();
    NaiveDtype dtype = in.dtype();
    Engine eng = in.engine();
    if (in.noLabel) {
      throw new UserError("compare needs a label in both inputs (its figures are of the loss and"
          + " accuracy): drop --no-label.");
    }
    if (in.idCol == null) {
      throw new UserError("compare pairs the rows of --a and --b by id: pass --id-col NAME.");
    }
    int maxBins = bootstrap == null ? EvaluateCommand.MAX_BINS
        : EvaluateCommand.MAX_BOOTSTRAP_BINS;
    if (calibrationBins < 1 || calibrationBins > maxBins) {
      throw new UserError("--calibration-bins must be between 1 and " + maxBins
          + (bootstrap == null ? "" : " with --bootstrap") + ", got " + calibrationBins + ".");
    }
    if (bootstrap != null && (bootstrap < 1 || bootstrap > EvaluateCommand.MAX_REPLICATES)) {
      throw new UserError("--bootstrap must be between 1 and " + EvaluateCommand.MAX_REPLICATES
          + " replicates, got " + bootstrap + ".");
    }

    SparkSession spark = Spark.session("stablesoftmax compare", true);
    checkedA = CheckedInput.open(spark, a, in.logitsCol, in.ignoreCorruptFiles);
    checkedB = CheckedInput.open(spark, b, in.logitsCol, in.ignoreCorruptFiles);
    List<String> inputs = new ArrayList<>(checkedA.files().paths());
    inputs.addAll(checkedB.files().paths());
    OutputDir out = output == null ? null : new OutputDir(output, in.overwrite,
        spark.sparkContext().hadoopConfiguration(), inputs);
    checkedA.refuseUnreadableFooters();
    checkedB.refuseUnreadableFooters();
    requireLabel(checkedA, "--a");
    requireLabel(checkedB, "--b");

    Pairing.Spec pairing = new Pairing.Spec(calibrationBins, perClass, bootstrap != null, seed);
    long start = System.nanoTime();
    List<List<InputTable>> tables = new ArrayList<>();
    PairedStats stats;
    try (SessionSettings settings = new SessionSettings(spark)) {
      // the Parquet reader's batches sized for the wider rows of the two
      in.configure(settings, checkedA.files().valuesPerRow() >= checkedB.files().valuesPerRow()
          ? checkedA.files() : checkedB.files());
      stats = checkedA.read(fa -> InputTable.read(spark, fa, in.logitsCol, in.label(), in.idCol),
          tablesA -> checkedB.read(fb -> InputTable.read(spark, fb, in.logitsCol, in.label(),
              in.idCol), tablesB -> {
                tables.clear();
                tables.add(tablesA);
                tables.add(tablesB);
                return Pairing.pair(scored(eng, tablesA, checkedA, dtype),
                    scored(eng, tablesB, checkedB, dtype), pairing);
              }));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    checkedA.checkRowsRead(stats.input(0) == null ? 0 : stats.input(0).rows(), spark);
    checkedB.checkRowsRead(stats.input(1) == null ? 0 : stats.input(1).rows(), spark);

    CompareSummary.Intervals intervals = null;
    if (bootstrap != null) {
      long t = System.nanoTime();
      intervals = new CompareSummary.Intervals(
          BootstrapIntervals.compute(stats.a().bootstrap(), bootstrap),
          BootstrapIntervals.compute(stats.b().bootstrap(), bootstrap),
          BootstrapIntervals.compute(stats.differences(), bootstrap)
              .get(BootstrapIntervals.Metric.LOSS_MEAN),
          bootstrap, seed, (System.nanoTime() - t) / 1e9);
    }
    Map<String, Object> inputA = checkedA.facts(tables.get(0));
    Map<String, Object> inputB = checkedB.facts(tables.get(1));
    Map<String, Object> opts = new LinkedHashMap<>();
    opts.put("a", a);
    opts.put("b", b);
    opts.putAll(in.facts());
    opts.put("calibration_bins", (long) calibrationBins);
    opts.put("per_class", perClass);
    opts.put("bootstrap", bootstrap == null ? null : (long) bootstrap);
    opts.put("seed", bootstrap == null ? null : seed);
    CompareSummary summary = new CompareSummary(stats, in.topK, dtype.label(), seconds, inputA,
        inputB, opts, intervals);

    if (out != null) {
      boolean done = false;
      try {
        if (perClass) {
          ComparePerClass.write(spark, summary.perClass(), out.staging()
              + "/compare_per_class.parquet");
        }
        String json = summary.json();
        out.write("compare.json", json);
        out.write("compare.html", CompareReport.html(new ObjectMapper().readTree(json)));
        out.commit();
        done = true;
      } finally {
        if (!done) {
          out.abort();
        }
      }
    }
    checkedA.warnSkipped();
    checkedB.warnSkipped();
    System.out.println("stablesoftmax compare " + a + " (A) with " + b + " (B)");
    System.out.print(summary.table());
    if (out != null) {
      System.out.println("  comparison: " + new Path(output, "compare.json") + ", "
          + new Path(output, "compare.html"));
    }
    return Main.OK;
  }

  /**
   * Refuses an input without the label column, in one sentence naming it (a label of a partition
   * directory, {@code label=3/}, is not in the files: the read finds it).
   */
  private void requireLabel(CheckedInput checked, String option) {
    for (InputFiles.Footer f : checked.files().readable) {
      if (f.schema().getFieldIndex(in.labelCol).isEmpty()
          && !f.path().contains("/" + in.labelCol + "=")) {
        throw new UserError("The label column '" + in.labelCol + "' is not in " + f.path()
            + " (of " + option + "; columns: " + String.join(", ", f.schema().fieldNames())
            + "); compare needs a label in both inputs: pass --label-col NAME.");
      }
    }
  }

  /** Each table of an input scored by {@code eng}, its rows kept for the pairing. */
  private List<JavaRDD<Engine.Scored>> scored(Engine eng, List<InputTable> tables,
      CheckedInput checked, NaiveDtype dtype) {
    List<JavaRDD<Engine.Scored>> out = new ArrayList<>();
    for (InputTable table : tables) {
      EvalSpec spec = new EvalSpec(table.logitsKind, in.temperature, in.topK, dtype, true,
          false, 0, checked.files().commonDirectory(), in.batchBytes, LogitsOptions.BATCH_ROWS,
          calibrationBins, CrossEntropyOptions.DEFAULT, false, Scores.LOGITS, false, false, 0,
          false, false);
      out.add(eng.scoredRows(table.rows, spec, Pairing.sinks()));
    }
    return out;
  }
}
