package org.stablesoftmax.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.report.Figures;
import org.stablesoftmax.stats.AdaptiveBins;
import org.stablesoftmax.stats.BootstrapBuckets;
import org.stablesoftmax.stats.BootstrapIntervals;
import org.stablesoftmax.stats.BootstrapIntervals.Metric;
import org.stablesoftmax.stats.ClopperPearson;
import org.stablesoftmax.stats.GroupTotals;
import org.stablesoftmax.stats.LossHistogram;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.PerClassStats;
import org.stablesoftmax.stats.RowId;
import org.stablesoftmax.stats.TemperatureFit;

/**
 * The results of an evaluation: {@code summary.json} and the short table printed at the end.
 * Numbers are JSON numbers, doubles at full precision (the shortest decimal that reads back to the
 * same double), and null where undefined (a mean of nothing).
 */
final class Summary {

  final PartitionStats stats;
  final boolean hasLabel;
  final int topK;
  final String naiveDtype;
  final double seconds;
  /** The equal-mass bins, cut once when first asked for. */
  private AdaptiveBins adaptive;
  /** Input facts (path, files, schema, ...), in order. */
  final Map<String, Object> input;
  /** The options used, in order. */
  final Map<String, Object> options;
  /** The bootstrap's intervals, or null without --bootstrap. */
  final Intervals intervals;
  /** The means over groups, or null without --group-col. */
  final GroupTotals groups;
  /** The temperature fit, or null without --fit-temperature. */
  private TemperatureFit.Result fit;
  /** The evaluation at the fitted temperature, or null. */
  private Summary fitted;
  /** The seconds of the fit's passes after the first. */
  private double fitSeconds;

  /**
   * The bootstrap's results: a 95% interval (or null) per metric, from {@code replicates}
   * replicates of seed {@code seed}, computed on the driver in {@code seconds}.
   */
  record Intervals(Map<BootstrapIntervals.Metric, double[]> ci, int replicates, long seed,
      double seconds) {}

  Summary(PartitionStats stats, boolean hasLabel, int topK, String naiveDtype, double seconds,
      Map<String, Object> input, Map<String, Object> options) {
    this(stats, hasLabel, topK, naiveDtype, seconds, input, options, null, null);
  }

  Summary(PartitionStats stats, boolean hasLabel, int topK, String naiveDtype, double seconds,
      Map<String, Object> input, Map<String, Object> options, Intervals intervals,
      GroupTotals groups) {
    this.stats = stats;
    this.hasLabel = hasLabel;
    this.topK = topK;
    this.naiveDtype = naiveDtype;
    this.seconds = seconds;
    this.input = input;
    this.options = options;
    this.intervals = intervals;
    this.groups = groups;
  }

  /** Adds the temperature fit of --fit-temperature: {@code calibration.temperature}. */
  void temperatureFit(TemperatureFit.Result fit, double seconds) {
    this.fit = fit;
    this.fitSeconds = seconds;
    this.fitted = new Summary(fit.after(), hasLabel, topK, naiveDtype, seconds, input, options);
  }

  /** The bootstrap interval of {@code metric}, or null (no bootstrap, or undefined). */
  double[] interval(BootstrapIntervals.Metric metric) {
    return intervals == null ? null : intervals.ci().get(metric);
  }

  // ---------------------------------------------------------------- derived figures

  double perplexity() {
    // StrictMath: the same bits on every JVM and JIT tier
    return StrictMath.exp(stats.lossMean());
  }

  double accuracy() {
    return stats.accuracy();
  }

  double topKAccuracy() {
    return stats.topKAccuracy();
  }

  /** The mean multiclass Brier score, Σ_i (p_i - [i = y])^2 per row, in [0, 2]. */
  double brier() {
    return stats.brierMean();
  }

  double rowsPerSecond() {
    return seconds > 0 ? stats.rows() / seconds : Double.NaN;
  }

  /** The share of rows with at least one incident. */
  double incidentRate() {
    return ratio(stats.incidentRows(), stats.rows());
  }

  /** torchmetrics' norms of the calibration error. */
  private enum Norm { L1, MAX, L2 }

  /**
   * Expected calibration error, torchmetrics' L1 norm: Σ_b |correct_b - Σ confidence_b| / N over
   * the binned rows, i.e. Σ_b (n_b / N) |accuracy_b - mean confidence_b|.
   */
  double ece() {
    return calibrationError(Norm.L1);
  }

  /**
   * Maximum calibration error, torchmetrics' max norm: the largest |accuracy_b - mean
   * confidence_b| over the bins that hold rows.
   */
  double mce() {
    return calibrationError(Norm.MAX);
  }

  /**
   * Root-mean-square calibration error, torchmetrics' L2 norm: the square root of
   * Σ_b (n_b / N) (accuracy_b - mean confidence_b)^2, i.e. of Σ_b (correct_b - Σ confidence_b)^2
   * / n_b / N.
   */
  double rmsce() {
    return calibrationError(Norm.L2);
  }

  /**
   * The adaptive calibration error: {@link #ece()}'s L1 norm over equal-mass bins (Nixon et al.
   * 2019, top-label; {@link org.stablesoftmax.stats.AdaptiveBins}).
   */
  double adaptiveEce() {
    AdaptiveBins a = adaptiveBins();
    return calibrationError(Norm.L1, a.weight, a.correct, a.confidence);
  }

  private AdaptiveBins adaptiveBins() {
    if (adaptive == null) {
      adaptive = stats.adaptiveBins();
    }
    return adaptive;
  }

  private double calibrationError(Norm norm) {
    return calibrationError(norm, stats.binWeight(), stats.binCorrectWeight(),
        stats.binConfidence());
  }

  /**
   * The calibration error in {@code norm}, from the bins' (weighted) counts, correct counts and
   * sums of confidences (exact sums rounded once); NaN if no bin has weight.
   */
  private static double calibrationError(Norm norm, double[] counts, double[] correct,
      double[] confidence) {
    double n = 0;
    double sum = 0;
    double max = 0;
    for (int b = 0; b < counts.length; b++) {
      if (counts[b] > 0) {
        double gap = Math.abs(correct[b] - confidence[b]);
        n += counts[b];
        sum += norm == Norm.L2 ? gap * gap / counts[b] : gap;
        max = Math.max(max, gap / counts[b]);
      }
    }
    if (n == 0) {
      return Double.NaN;
    }
    return switch (norm) {
      case L1 -> sum / n;
      case MAX -> max;
      case L2 -> Math.sqrt(sum / n);
    };
  }

  private static double ratio(long a, long b) {
    return b == 0 ? Double.NaN : (double) a / b;
  }

  // ---------------------------------------------------------------- summary.json

  String json() {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeObjectFieldStart("rows");
      g.writeNumberField("total", stats.rows());
      g.writeNumberField("evaluated", stats.evaluatedRows());
      g.writeNumberField("skipped", stats.skippedRows());
      if (stats.weighted()) {
        number(g, "weight", stats.weightSum());
      }
      g.writeObjectFieldStart("skipped_by_reason");
      for (Map.Entry<String, Long> e : stats.skipped().entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();

      g.writeFieldName("loss");
      if (hasLabel) {
        g.writeStartObject();
        number(g, "mean", stats.lossMean());
        interval(g, "mean_ci", Metric.LOSS_MEAN, false);
        number(g, "sum", stats.lossSum());
        number(g, "perplexity", perplexity());
        interval(g, "perplexity_ci", Metric.LOSS_MEAN, true);
        g.writeNumberField("finite", stats.lossFinite());
        g.writeNumberField("non_finite", stats.lossNonFinite());
        lossHistogram(g, stats.lossHistogram());
        g.writeEndObject();
      } else {
        g.writeNull();
      }

      if (stats.perClass() != null) {
        List<PerClassStats.ClassFigures> figures = stats.perClass().figures();
        double[] avg = PerClassStats.averages(figures);
        g.writeObjectFieldStart("per_class");
        g.writeNumberField("classes", figures.size());
        g.writeNumberField("never_predicted", figures.stream()
            .filter(f -> f.predicted() == 0).count());
        String[] names = {"precision", "recall", "f1"};
        for (int a = 0; a < 2; a++) {
          g.writeObjectFieldStart(a == 0 ? "macro" : "weighted");
          for (int i = 0; i < 3; i++) {
            number(g, names[i], avg[3 * a + i]);
          }
          g.writeEndObject();
        }
        g.writeEndObject();
      }

      if (groups != null) {
        g.writeObjectFieldStart("groups");
        g.writeNumberField("count", groups.groups());
        g.writeNumberField("undefined", groups.undefined());
        g.writeNumberField("null_group_rows", stats.nullGroupRows());
        number(g, "mean_loss", groups.meanLoss());
        number(g, "mean_perplexity", groups.meanPerplexity());
        g.writeEndObject();
      }

      g.writeObjectFieldStart("metrics");
      number(g, "accuracy", hasLabel ? accuracy() : Double.NaN);
      interval(g, "accuracy_ci", Metric.ACCURACY, false);
      g.writeNumberField("top_k", topK);
      number(g, "top_k_accuracy", hasLabel ? topKAccuracy() : Double.NaN);
      interval(g, "top_k_accuracy_ci", Metric.TOP_K_ACCURACY, false);
      number(g, "mean_entropy", stats.entropyMean());
      number(g, "brier", hasLabel ? brier() : Double.NaN);
      interval(g, "brier_ci", Metric.BRIER, false);
      g.writeNumberField("calibration_bins", stats.bins());
      number(g, "ece", hasLabel ? ece() : Double.NaN);
      interval(g, "ece_ci", Metric.ECE, false);
      number(g, "mce", hasLabel ? mce() : Double.NaN);
      number(g, "rmsce", hasLabel ? rmsce() : Double.NaN);
      number(g, "classwise_ece", stats.perClass() == null ? Double.NaN
          : stats.perClass().classwiseEce());
      number(g, "adaptive_ece", hasLabel ? adaptiveEce() : Double.NaN);
      calibrationTable(g, "calibration");
      adaptiveCalibration(g);
      g.writeEndObject();

      if (fit != null) {
        temperature(g);
      }

      incidents(g, stats, naiveDtype);

      if (intervals != null) {
        bootstrap(g, "percentile, resampling " + BootstrapBuckets.BUCKETS
            + " buckets of rows hashed by (seed, id)", intervals.replicates(), intervals.seed(),
            intervals.seconds());
      }

      g.writeObjectFieldStart("timing");
      number(g, "evaluate_seconds", seconds);
      number(g, "rows_per_second", rowsPerSecond());
      g.writeEndObject();

      write(g, "input", input);
      write(g, "options", options);
      write(g, "versions", versions());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString() + System.lineSeparator();
  }

  /**
   * Writes the bootstrap interval of {@code metric} as {@code [low, high]} (of its exp for
   * {@code exp}: the perplexity's), null where undefined; nothing without a bootstrap.
   */
  private void interval(JsonGenerator g, String name, Metric metric, boolean exp)
      throws IOException {
    if (intervals == null) {
      return;
    }
    double[] ci = interval(metric);
    g.writeFieldName(name);
    if (ci == null || !Double.isFinite(ci[0]) || !Double.isFinite(ci[1])) {
      g.writeNull();
      return;
    }
    g.writeStartArray();
    for (double v : ci) {
      g.writeNumber(ShortestDouble.of(exp ? StrictMath.exp(v) : v));
    }
    g.writeEndArray();
  }

  /**
   * The {@code histogram} of the losses: the {@link LossHistogram#BINS} + 1 log-spaced
   * {@code edges}, the {@code rows} of each bin between them, and the rows counted apart
   * ({@code zero}, {@code below} the first edge, {@code above} the last, ...), exact counts.
   */
  private static void lossHistogram(JsonGenerator g, LossHistogram h) throws IOException {
    g.writeObjectFieldStart("histogram");
    g.writeArrayFieldStart("edges");
    for (int k = 0; k <= LossHistogram.BINS; k++) {
      g.writeNumber(ShortestDouble.of(LossHistogram.edge(k)));
    }
    g.writeEndArray();
    g.writeFieldName("rows");
    long[] counts = h.counts();
    g.writeArray(counts, 0, counts.length);
    for (LossHistogram.Outside kind : LossHistogram.Outside.values()) {
      g.writeNumberField(kind.name().toLowerCase(Locale.ROOT), h.count(kind));
    }
    g.writeEndObject();
  }

  /**
   * The {@code adaptive_calibration} table: per equal-mass bin its smallest and largest
   * confidence, rows (and weight), mean confidence and accuracy.
   */
  private void adaptiveCalibration(JsonGenerator g) throws IOException {
    AdaptiveBins a = adaptiveBins();
    g.writeArrayFieldStart("adaptive_calibration");
    for (int b = 0; b < a.rows.length; b++) {
      g.writeStartObject();
      number(g, "from", a.from[b]);
      number(g, "to", a.to[b]);
      g.writeNumberField("rows", a.rows[b]);
      if (stats.weighted()) {
        number(g, "weight", a.weight[b]);
      }
      boolean some = a.weight[b] > 0;
      number(g, "mean_confidence", some ? a.confidence[b] / a.weight[b] : Double.NaN);
      number(g, "accuracy", hasLabel && some ? a.correct[b] / a.weight[b] : Double.NaN);
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** The {@code incidents} object: counts per kind and the example ids, as both commands write it. */
  static void incidents(JsonGenerator g, PartitionStats stats, String naiveDtype)
      throws IOException {
    g.writeObjectFieldStart("incidents");
    g.writeStringField("naive_dtype", naiveDtype);
    g.writeNumberField("naive_failure_rows", stats.naiveFailureRows());
    g.writeNumberField("rows", stats.incidentRows());
    number(g, "rate", ratio(stats.incidentRows(), stats.rows()));
    g.writeObjectFieldStart("counts");
    for (IncidentKind k : IncidentKind.values()) {
      g.writeNumberField(k.name(), stats.incidentCount(k));
    }
    g.writeEndObject();
    g.writeObjectFieldStart("examples");
    for (IncidentKind k : IncidentKind.values()) {
      List<RowId> ids = stats.examples(k);
      if (ids.isEmpty()) {
        continue;
      }
      g.writeArrayFieldStart(k.name());
      for (RowId id : ids) {
        if (id.file() == null) {
          g.writeNumber(id.number());
        } else {
          g.writeString(id.toString());
        }
      }
      g.writeEndArray();
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /** The versions of what computed the results. */
  static Map<String, Object> versions() {
    Map<String, Object> versions = new LinkedHashMap<>();
    versions.put("stablesoftmax", new Main.Version().getVersion()[0].replace(
        "stablesoftmax ", ""));
    versions.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    versions.put("java", System.getProperty("java.version"));
    versions.put("kernel", StableSoftmax.implementation());
    return versions;
  }

  static void number(JsonGenerator g, String name, double v) throws IOException {
    g.writeFieldName(name);
    if (Double.isFinite(v)) {
      g.writeNumber(ShortestDouble.of(v));
    } else {
      g.writeNull();
    }
  }

  static void write(JsonGenerator g, String name, Map<String, Object> values)
      throws IOException {
    g.writeObjectFieldStart(name);
    for (Map.Entry<String, Object> e : values.entrySet()) {
      Object v = e.getValue();
      if (v == null) {
        g.writeNullField(e.getKey());
      } else if (v instanceof Double) {
        number(g, e.getKey(), (Double) v);
      } else if (v instanceof Number) {
        g.writeNumberField(e.getKey(), ((Number) v).longValue());
      } else if (v instanceof Boolean) {
        g.writeBooleanField(e.getKey(), (Boolean) v);
      } else if (v instanceof List) {
        g.writeArrayFieldStart(e.getKey());
        for (Object o : (List<?>) v) {
          g.writeString(String.valueOf(o));
        }
        g.writeEndArray();
      } else {
        g.writeStringField(e.getKey(), v.toString());
      }
    }
    g.writeEndObject();
  }

  /** The {@code bootstrap} object: the method, replicates, seed, buckets, level and seconds. */
  static void bootstrap(JsonGenerator g, String method, int replicates, long seed,
      double seconds) throws IOException {
    g.writeObjectFieldStart("bootstrap");
    g.writeStringField("method", method);
    g.writeNumberField("replicates", replicates);
    g.writeNumberField("seed", seed);
    g.writeNumberField("buckets", BootstrapBuckets.BUCKETS);
    number(g, "confidence", BootstrapIntervals.LEVEL);
    number(g, "seconds", seconds);
    g.writeEndObject();
  }

  /**
   * The equal-width calibration bins as an array {@code field}: per bin its edges, rows (and
   * weight), mean confidence, accuracy and the accuracy's Clopper–Pearson interval.
   */
  private void calibrationTable(JsonGenerator g, String field) throws IOException {
    g.writeArrayFieldStart(field);
    long[] counts = stats.binCounts();
    double[] weight = stats.binWeight();
    double[] correct = stats.binCorrectWeight();
    double[] confidence = stats.binConfidence();
    double[] effective = stats.binEffectiveRows();
    for (int b = 0; b < counts.length; b++) {
      g.writeStartObject();
      number(g, "from", PartitionStats.edge(b, counts.length));
      number(g, "to", PartitionStats.edge(b + 1, counts.length));
      g.writeNumberField("rows", counts[b]);
      if (stats.weighted()) {
        number(g, "weight", weight[b]);
      }
      double accuracy = weight[b] > 0 ? correct[b] / weight[b] : Double.NaN;
      number(g, "mean_confidence", weight[b] > 0 ? confidence[b] / weight[b] : Double.NaN);
      number(g, "accuracy", hasLabel ? accuracy : Double.NaN);
      g.writeFieldName("accuracy_ci");
      if (hasLabel && effective[b] > 0) {
        // without weights the counts themselves; with, Kish's effective counts
        double n = effective[b];
        double[] ci = stats.weighted()
            ? ClopperPearson.interval(Math.min(n, accuracy * n), n, 0.05)
            : ClopperPearson.interval(stats.binCorrect()[b], counts[b], 0.05);
        g.writeStartArray();
        g.writeNumber(ShortestDouble.of(ci[0]));
        g.writeNumber(ShortestDouble.of(ci[1]));
        g.writeEndArray();
      } else {
        g.writeNull();
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /**
   * {@code calibration.temperature}: the fitted T, the fit's steps, and the plain NLL, ECE and
   * Brier score at T = 1 and at T, with the calibration bins at T.
   */
  private void temperature(JsonGenerator g) throws IOException {
    g.writeObjectFieldStart("calibration");
    g.writeObjectFieldStart("temperature");
    number(g, "fitted", fit.temperature());
    g.writeNumberField("iterations", fit.iterations());
    g.writeBooleanField("converged", fit.converged());
    g.writeBooleanField("at_bound", fit.atBound());
    g.writeNumberField("rows", stats.temperature().rows());
    number(g, "nll_before", stats.temperature().meanNll());
    number(g, "nll_after", fitted.stats.temperature().meanNll());
    number(g, "ece_before", ece());
    number(g, "ece_after", fitted.ece());
    number(g, "brier_before", brier());
    number(g, "brier_after", fitted.brier());
    fitted.calibrationTable(g, "calibration_after");
    number(g, "seconds", fitSeconds);
    g.writeEndObject();
    g.writeEndObject();
  }

  // ---------------------------------------------------------------- the printed table

  String table() {
    StringBuilder sb = new StringBuilder();
    line(sb, "rows", String.format("%,d (%,d evaluated, %,d skipped)", stats.rows(),
        stats.evaluatedRows(), stats.skippedRows()));
    for (Map.Entry<String, Long> e : stats.skipped().entrySet()) {
      line(sb, "  " + e.getKey(), String.format("%,d", e.getValue()));
    }
    if (hasLabel) {
      line(sb, "mean loss", compact(stats.lossMean()) + ci(Metric.LOSS_MEAN)
          + (stats.lossNonFinite() == 0 ? "" : String.format(
              " (%,d non-finite losses left out)", stats.lossNonFinite())));
      line(sb, "perplexity", compact(perplexity()));
      if (groups != null) {
        line(sb, "groups", String.format("%,d", groups.groups())
            + (groups.undefined() == 0 ? "" : String.format(" (%,d without a finite loss)",
                groups.undefined())));
        line(sb, "  mean loss / perplexity", compact(groups.meanLoss()) + " / "
            + compact(groups.meanPerplexity()));
      }
      line(sb, "accuracy", compact(accuracy()) + ci(Metric.ACCURACY));
      line(sb, "top-" + topK + " accuracy", compact(topKAccuracy()) + ci(Metric.TOP_K_ACCURACY));
      if (stats.perClass() != null) {
        double[] avg = PerClassStats.averages(stats.perClass().figures());
        line(sb, "macro P / R / F1", compact(avg[0]) + " / " + compact(avg[1])
            + " / " + compact(avg[2]));
      }
      line(sb, "Brier score", compact(brier()) + ci(Metric.BRIER));
      line(sb, "ECE (" + stats.bins() + " bins)", compact(ece()) + ci(Metric.ECE));
      line(sb, "MCE / RMSCE", compact(mce()) + " / " + compact(rmsce()));
      line(sb, "adaptive ECE", compact(adaptiveEce()));
      if (stats.perClass() != null) {
        line(sb, "classwise ECE", compact(stats.perClass().classwiseEce()));
      }
      if (fit != null) {
        line(sb, "fitted temperature", compact(fit.temperature()) + String.format(
            " (%d steps in %.2f s%s)", fit.iterations(), fitSeconds, fit.converged()
                ? (fit.atBound() ? ", at the bound of 1/T" : "") : ", not converged"));
        line(sb, "  NLL / ECE / Brier at T", compact(fitted.stats.temperature().meanNll())
            + " / " + compact(fitted.ece()) + " / " + compact(fitted.brier()));
      }
    }
    line(sb, "mean entropy", compact(stats.entropyMean()) + " nats");
    incidentLines(sb, stats, naiveDtype);
    line(sb, "time", String.format("%.2f s (%,.0f rows/s)", seconds,
        seconds > 0 ? rowsPerSecond() : 0.0) + (intervals == null ? ""
        : String.format(" + %.2f s bootstrap (%,d replicates, seed %d)", intervals.seconds(),
            intervals.replicates(), intervals.seed())));
    return sb.toString();
  }

  /** "  95% CI [low, high]" of the bootstrap's interval, or "" (none, or undefined). */
  private String ci(Metric metric) {
    double[] ci = interval(metric);
    return ci == null ? "" : "  95% CI [" + compact(ci[0]) + ", " + compact(ci[1]) + "]";
  }

  /** The incident lines of the printed table, as both commands print them. */
  static void incidentLines(StringBuilder sb, PartitionStats stats, String naiveDtype) {
    line(sb, "naive " + naiveDtype + " fails on", String.format("%,d rows",
        stats.naiveFailureRows()));
    line(sb, "rows with incidents", String.format("%,d (%s)", stats.incidentRows(),
        percent(ratio(stats.incidentRows(), stats.rows()))));
    for (IncidentKind k : IncidentKind.values()) {
      long n = stats.incidentCount(k);
      if (n > 0) {
        List<RowId> ids = stats.examples(k);
        String examples = ids.subList(0, Math.min(3, ids.size())).toString();
        line(sb, "  " + k.name(), String.format("%,d  e.g. %s%s", n,
            examples.substring(1, examples.length() - 1), n > 3 ? ", ..." : ""));
      }
    }
  }

  static void line(StringBuilder sb, String name, String value) {
    sb.append(String.format("  %-28s %s%n", name, value));
  }

  /** A figure as the table and the report print it: {@link Figures#compact}. */
  private static String compact(double v) {
    return Figures.compact(v);
  }

  private static String percent(double v) {
    return Double.isFinite(v) ? String.format("%.3f%%", 100 * v) : "n/a";
  }
}
