package org.stablesoftmax.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.EvalSpec;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.Scores;
import org.stablesoftmax.report.Report;
import org.stablesoftmax.stats.BootstrapIntervals;
import org.stablesoftmax.stats.GroupTotals;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.PerClassStats;
import org.stablesoftmax.stats.TemperatureFit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stablesoftmax evaluate}: the mean loss, metrics and incidents of a Parquet dataset. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluates logits stored as Parquet: exact mean cross-entropy, perplexity,"
        + " accuracy, top-k accuracy, entropy and calibration, and every row on which a naive"
        + " softmax would overflow, underflow or give NaN. Prints a table; with --output, writes"
        + " DIR/summary.json and DIR/report.html.")
final class EvaluateCommand implements Callable<Integer> {

  /**
   * The tables read, their merged state, their means over groups (or null), their partitions,
   * the evaluation's seconds, and the temperature fit (or null) with its further passes' seconds.
   */
  private record Evaluation(List<InputTable> tables, PartitionStats stats, GroupTotals groups,
      long partitions, double seconds, TemperatureFit.Result fit, double fitSeconds) {}

  /** The most calibration bins: each is a few exact sums in every partition's state. */
  static final int MAX_BINS = 10_000;
  /** The most calibration bins with --bootstrap: each bin is 3 sums in each of 10,000 buckets. */
  static final int MAX_BOOTSTRAP_BINS = 50;
  /** The most bootstrap replicates: each costs 10,000 bucket draws on the driver. */
  static final int MAX_REPLICATES = 100_000;

  @Mixin
  SingleInputOptions in = new SingleInputOptions();

  @Option(names = "--ignore-index", paramLabel = "LABEL",
      description = "Skip rows with this label, as PyTorch's ignore_index (e.g. -100).")
  Long ignoreIndex;

  @Option(names = "--label-smoothing", paramLabel = "EPS", defaultValue = "0",
      description = "Label smoothing of the loss, in [0, 1], as PyTorch's cross_entropy"
          + " label_smoothing.")
  double labelSmoothing;

  @Option(names = "--class-weights", paramLabel = "W,W,...|@FILE",
      description = "One weight per class (comma-separated, or one per line of FILE): the loss"
          + " is PyTorch's weighted mean, sum(w_y loss) / sum(w_y).")
  String classWeights;

  @Option(names = "--weight-col", paramLabel = "NAME",
      description = "A non-negative number per row weighting every mean, as scikit-learn's"
          + " sample_weight; a null, negative, NaN or infinite weight is the incident BAD_WEIGHT"
          + " and its row is skipped.")
  String weightCol;

  @Option(names = "--group-col", paramLabel = "NAME",
      description = "A string or integer per row naming its group (e.g. the sequence of a token):"
          + " also gives the number of groups, the mean over groups of each group's mean loss,"
          + " and of its perplexity.")
  String groupCol;

  @Option(names = "--target-col", paramLabel = "NAME",
      description = "Soft targets: an array<float> or array<double> of class probabilities per"
          + " row, in place of a label. The loss is PyTorch's cross_entropy with probability"
          + " targets (smoothing applied to the target, class weights inside the sum, the mean"
          + " over rows); accuracy, top-k, Brier and calibration take the target's argmax as the"
          + " label. A null target, a negative, NaN or infinite entry, or a sum more than 1e-6"
          + " off 1 is the incident BAD_TARGET, another length than the logits"
          + " CLASS_COUNT_MISMATCH; such rows are skipped.")
  String targetCol;

  @Option(names = "--scores", paramLabel = "KIND", defaultValue = "logits",
      description = "What the logits column holds: logits (default), log_probabilities or"
          + " probabilities (renormalized, as scikit-learn's log_loss up to 1.4; a row whose sum"
          + " is more than 1e-6 off 1 is the incident NOT_NORMALIZED).")
  String scores;

  @Option(names = "--calibration-bins", paramLabel = "N", defaultValue = "15",
      description = "Confidence bins of the calibration metrics: equal-width, and equal-mass for"
          + " adaptive_ece (default: 15).")
  int calibrationBins;

  @Option(names = "--per-class",
      description = "Per class: support, predictions, precision, recall, F1, mean loss, mean"
          + " confidence when predicted and the most frequent wrong prediction, in"
          + " DIR/per_class.parquet with --output; and scikit-learn's macro and weighted"
          + " precision, recall and F1 in the summary.")
  boolean perClass;

  @Option(names = "--bootstrap", paramLabel = "B",
      description = "95%% percentile bootstrap intervals of the mean loss, accuracy, top-k"
          + " accuracy, Brier score and ECE from B replicates, each resampling 10,000 buckets of"
          + " rows hashed by id: the same intervals for the same seed and rows, whatever the"
          + " partitioning.")
  Integer bootstrap;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
      description = "Seed of --bootstrap (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--fit-temperature",
      description = "Fit the temperature T minimizing the mean NLL (Guo et al. 2017's"
          + " temperature scaling, by safeguarded Newton in 1/T, one pass over the input a step)"
          + " and report it with the NLL, ECE and Brier score before and after; the other"
          + " figures stay at T = 1. Apply it elsewhere with --temperature-from"
          + " DIR/summary.json.")
  boolean fitTemperature;

  @Option(names = "--output", paramLabel = "DIR",
      description = "Write DIR/summary.json and DIR/report.html, a self-contained page of"
          + " charts (DIR must not exist or be empty, unless"
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
    checkCombinations();
    CrossEntropyOptions lossOptions = lossOptions();
    Scores kind;
    try {
      kind = Scores.parse(scores);
    } catch (IllegalArgumentException e) {
      throw new UserError("--scores must be logits, log_probabilities or probabilities, got '"
          + scores + "'.", e);
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
      List<String> kept = new ArrayList<>();
      if (weightCol != null) {
        kept.add(weightCol);
      }
      if (targetCol != null) {
        kept.add(targetCol);
      }
      if (groupCol != null) {
        kept.add(groupCol);
      }
      List<String> keptOptions = new ArrayList<>();
      for (String[] o : new String[][] {{weightCol, "--weight-col"}, {targetCol, "--target-col"},
          {groupCol, "--group-col"}}) {
        if (o[0] != null) {
          keptOptions.add(o[1]);
        }
      }
      // with soft targets the label is the target's argmax: no label column is read
      String labelCol = targetCol == null ? in.label() : null;
      done = checked.read(f -> InputTable.read(spark, f, in.logitsCol, labelCol, in.idCol,
          kept, String.join(" or ", keptOptions)),
          tables -> {
            if (groupCol != null && tables.size() > 1) {
              throw new UserError("--group-col needs files of one schema (a group may span"
                  + " files), but " + in.input + " holds " + tables.size() + " kinds of file.");
            }
            long start = System.nanoTime();
            PartitionStats all = null;
            GroupTotals groups = null;
            long partitions = 0;
            List<EvalSpec> specs = new ArrayList<>();
            for (InputTable table : tables) {
              EvalSpec spec = new EvalSpec(table.logitsKind, in.temperature, in.topK, dtype,
                  !in.noLabel, ignoreIndex != null, ignoreIndex == null ? 0 : ignoreIndex,
                  checked.files().commonDirectory(), in.batchBytes, LogitsOptions.BATCH_ROWS,
                  calibrationBins, lossOptions, weightCol != null, kind, targetCol != null,
                  bootstrap != null, seed, groupCol != null, perClass, fitTemperature);
              specs.add(spec);
              Engine.Evaluated e = eng.evaluate(rows(table, kept, groupCol != null), spec);
              all = all == null ? e.stats() : all.merge(e.stats());
              groups = e.groups();
              partitions += e.partitions();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            TemperatureFit.Result fit = null;
            long fitStart = System.nanoTime();
            if (fitTemperature) {
              fit = fitTemperature(all, t -> {
                PartitionStats step = null;
                for (int i = 0; i < tables.size(); i++) {
                  InputTable table = tables.get(i);
                  // a step needs no groups: their column is left out
                  PartitionStats p = eng.evaluate(rows(table, kept, false),
                      specs.get(i).temperatureStep(t)).stats();
                  step = step == null ? p : step.merge(p);
                }
                return step;
              });
            }
            return new Evaluation(tables, all, groups, partitions, seconds, fit,
                (System.nanoTime() - fitStart) / 1e9);
          });
    }
    PartitionStats stats = done.stats();
    checked.checkRowsRead(stats.rows(), spark);
    Summary.Intervals intervals = null;
    if (bootstrap != null) {
      long start = System.nanoTime();
      Map<BootstrapIntervals.Metric, double[]> ci = BootstrapIntervals.compute(
          stats.bootstrap(), bootstrap);
      intervals = new Summary.Intervals(ci, bootstrap, seed, (System.nanoTime() - start) / 1e9);
    }
    double seconds = done.seconds();

    Map<String, Object> facts = checked.facts(done.tables());
    facts.put("partitions", done.partitions());
    Map<String, Object> opts = in.facts();
    if (targetCol != null) {
      opts.put("label_col", null);
    }
    opts.put("ignore_index", ignoreIndex);
    opts.put("max_incident_rate", maxIncidentRate);
    opts.put("scores", kind.label());
    opts.put("calibration_bins", (long) calibrationBins);
    opts.put("label_smoothing", labelSmoothing);
    opts.put("class_weights", classWeights);
    opts.put("weight_col", weightCol);
    opts.put("target_col", targetCol);
    opts.put("group_col", groupCol);
    opts.put("per_class", perClass);
    opts.put("bootstrap", bootstrap == null ? null : (long) bootstrap);
    opts.put("seed", bootstrap == null ? null : seed);
    opts.put("fit_temperature", fitTemperature);
    Summary summary = new Summary(stats, !in.noLabel, in.topK, dtype.label(), seconds, facts,
        opts, intervals, done.groups());
    if (done.fit() != null) {
      summary.temperatureFit(done.fit(), done.fitSeconds());
    }

    if (out != null) {
      writeOutputs(spark, out, summary.json(), stats.perClass());
    }
    checked.warnSkipped();
    System.out.println("stablesoftmax evaluate " + in.input);
    System.out.print(summary.table());
    if (out != null) {
      System.out.println("  summary: " + new Path(output, "summary.json"));
      System.out.println("  report:  " + new Path(output, "report.html"));
    }
    if (maxIncidentRate != null && summary.incidentRate() > maxIncidentRate) {
      System.err.printf("stablesoftmax: %.4f%% of the rows have incidents, more than"
          + " --max-incident-rate %s.%n", 100 * summary.incidentRate(), maxIncidentRate);
      return Main.GATE_FAILED;
    }
    return Main.OK;
  }

  /**
   * The table's rows as the evaluation reads them: with the kept columns (weight, target, and
   * the group's if {@code withGroup}) checked and cast, or as read where none is kept.
   */
  private Dataset<Row> rows(InputTable table, List<String> kept, boolean withGroup) {
    return kept.isEmpty() ? table.rows
        : table.forEvaluation(in.input, weightCol != null, targetCol != null, withGroup);
  }

  /**
   * Fits the temperature from the evaluation at T = 1, its first step; refuses to fit on fewer
   * than {@link TemperatureFit#MIN_ROWS} rows.
   */
  private TemperatureFit.Result fitTemperature(PartitionStats atOne, TemperatureFit.Pass pass) {
    long rows = atOne.temperature().rows();
    if (rows < TemperatureFit.MIN_ROWS) {
      throw new UserError("--fit-temperature needs at least " + TemperatureFit.MIN_ROWS
          + " evaluated rows of finite loss to fit on, but " + in.input + " has " + rows
          + " (on fewer, the fitted temperature runs off to 0 or without bound).");
    }
    return TemperatureFit.fit(atOne, pass);
  }

  /** Refuses options that do not go together, or out of their range, with one sentence. */
  private void checkCombinations() {
    if (fitTemperature) {
      if (in.noLabel || targetCol != null) {
        throw new UserError("--fit-temperature fits the NLL of a class label: drop it or "
            + (in.noLabel ? "--no-label." : "--target-col."));
      }
      if (in.temperature != 1.0 || in.temperatureFrom != null) {
        throw new UserError("--fit-temperature starts from the logits as they are: drop it or"
            + " --temperature" + (in.temperatureFrom == null ? "" : "-from") + ".");
      }
    }
    if (targetCol != null && in.noLabel) {
      throw new UserError("--target-col gives the loss a target: drop it or --no-label.");
    }
    if (targetCol != null && ignoreIndex != null) {
      throw new UserError("--ignore-index is for class labels; PyTorch has no ignore_index for"
          + " probability targets (--target-col): drop one of them.");
    }
    if (bootstrap != null) {
      if (bootstrap < 1 || bootstrap > MAX_REPLICATES) {
        throw new UserError("--bootstrap must be between 1 and " + MAX_REPLICATES
            + " replicates, got " + bootstrap + ".");
      }
      if (in.noLabel) {
        throw new UserError("--bootstrap needs a label: its intervals are of the loss and"
            + " accuracy; drop it or --no-label.");
      }
      if (calibrationBins > MAX_BOOTSTRAP_BINS) {
        throw new UserError("--bootstrap takes at most " + MAX_BOOTSTRAP_BINS
            + " --calibration-bins, got " + calibrationBins + ".");
      }
    }
    if (perClass && in.noLabel) {
      throw new UserError("--per-class needs a label: drop it or --no-label.");
    }
    if (groupCol != null && in.noLabel) {
      throw new UserError("--group-col needs a label: its figures are of the loss; drop it or"
          + " --no-label.");
    }
  }

  /** The loss's options from --label-smoothing and --class-weights. */
  private CrossEntropyOptions lossOptions() throws IOException {
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new UserError("--label-smoothing must be between 0 and 1, got " + labelSmoothing
          + ".");
    }
    if (in.noLabel && (labelSmoothing != 0 || classWeights != null)) {
      throw new UserError("--label-smoothing and --class-weights need a label: drop them or"
          + " --no-label.");
    }
    CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(labelSmoothing);
    return classWeights == null ? o : o.classWeights(classWeights(classWeights));
  }

  /**
   * The weights of {@code --class-weights}: comma-separated numbers, or {@code @FILE} with one
   * per line (blank lines ignored), each finite.
   *
   * @throws UserError naming the value (and the file and line) that is not a finite number
   */
  static double[] classWeights(String spec) throws IOException {
    List<String> values = new ArrayList<>();
    boolean inFile = spec.startsWith("@");
    String where;
    if (inFile) {
      Path file = new Path(spec.substring(1));
      where = " in " + file + ", line ";
      FileSystem fs = file.getFileSystem(new Configuration());
      if (!fs.isFile(file)) {
        throw new UserError("The class weights file " + file + " does not exist; fix"
            + " --class-weights @FILE.");
      }
      try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file),
          StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          values.add(line);
        }
      }
    } else {
      where = " in --class-weights, entry ";
      values.addAll(Arrays.asList(spec.split(",", -1)));
    }
    double[] out = new double[values.size()];
    int n = 0;
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i).strip();
      if (v.isEmpty() && inFile) {
        continue;
      }
      double w;
      try {
        w = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        w = Double.NaN;
      }
      if (!Double.isFinite(w)) {
        throw new UserError("The class weight '" + v + "'" + where + (i + 1)
            + " is not a finite number.");
      }
      out[n++] = w;
    }
    if (n == 0) {
      throw new UserError("--class-weights " + spec + " holds no weight.");
    }
    return Arrays.copyOf(out, n);
  }

  /**
   * Writes summary.json, report.html (drawn from the summary) and, with per-class sums,
   * per_class.parquet; then commits the output.
   */
  private static void writeOutputs(SparkSession spark, OutputDir out, String json,
      PerClassStats perClass) throws IOException {
    boolean done = false;
    try {
      List<PerClassStats.ClassFigures> figures = perClass == null ? null : perClass.figures();
      if (figures != null) {
        PerClassTable.write(spark, figures, out.staging() + "/per_class.parquet");
      }
      out.write("summary.json", json);
      out.write("report.html", Report.html(new ObjectMapper().readTree(json), figures));
      out.commit();
      done = true;
    } finally {
      if (!done) {
        out.abort();
      }
    }
  }
}
