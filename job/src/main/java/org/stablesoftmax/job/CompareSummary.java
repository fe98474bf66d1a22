package org.stablesoftmax.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.stablesoftmax.compare.McNemar;
import org.stablesoftmax.compare.PairedStats;
import org.stablesoftmax.compare.PairedStats.Kind;
import org.stablesoftmax.report.Figures;
import org.stablesoftmax.stats.BootstrapBuckets;
import org.stablesoftmax.stats.BootstrapIntervals.Metric;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.PerClassStats;
import org.stablesoftmax.stats.PerClassStats.ClassFigures;

/**
 * The results of a comparison: {@code compare.json}, the printed table, and what
 * {@code compare.html} and {@code compare_per_class.parquet} show. Each model's metrics are
 * {@link Summary}'s, over the compared pairs; numbers as in {@code summary.json} (shortest
 * decimals, null where undefined).
 */
final class CompareSummary {

  /**
   * The bootstrap's results: each model's intervals, the paired loss difference's, from {@code
   * replicates} replicates of seed {@code seed} (the same draws for all), in {@code seconds}.
   */
  record Intervals(Map<Metric, double[]> a, Map<Metric, double[]> b, double[] lossDifference,
      int replicates, long seed, double seconds) {}

  /** A class's figures in both models (a model's are null where the class is not in its). */
  record ClassDelta(int label, long support, ClassFigures a, ClassFigures b) {
    double a(int figure) {
      return value(a, figure);
    }

    double b(int figure) {
      return value(b, figure);
    }

    /** B's figure minus A's; NaN where either is undefined. */
    double delta(int figure) {
      return b(figure) - a(figure);
    }

    private static double value(ClassFigures f, int figure) {
      if (f == null) {
        return Double.NaN;
      }
      return switch (figure) {
        case PRECISION -> f.precision();
        case RECALL -> f.recall();
        case F1 -> f.f1();
        default -> f.meanLoss();
      };
    }
  }

  static final int PRECISION = 0;
  static final int RECALL = 1;
  static final int F1 = 2;
  static final int MEAN_LOSS = 3;
  static final String[] CLASS_FIGURES = {"precision", "recall", "f1", "mean_loss"};

  final PairedStats stats;
  final int topK;
  final String naiveDtype;
  final double seconds;
  final Map<String, Object> inputA;
  final Map<String, Object> inputB;
  final Map<String, Object> options;
  final Intervals intervals;
  /** Each model's figures over the compared pairs, as evaluate's summary computes them. */
  final Summary a;
  final Summary b;

  CompareSummary(PairedStats stats, int topK, String naiveDtype, double seconds,
      Map<String, Object> inputA, Map<String, Object> inputB, Map<String, Object> options,
      Intervals intervals) {
    this.stats = stats;
    this.topK = topK;
    this.naiveDtype = naiveDtype;
    this.seconds = seconds;
    this.inputA = inputA;
    this.inputB = inputB;
    this.options = options;
    this.intervals = intervals;
    this.a = new Summary(stats.a(), true, topK, naiveDtype, seconds, Map.of(), Map.of(),
        intervals == null ? null : new Summary.Intervals(intervals.a(), intervals.replicates(),
            intervals.seed(), intervals.seconds()), null);
    this.b = new Summary(stats.b(), true, topK, naiveDtype, seconds, Map.of(), Map.of(),
        intervals == null ? null : new Summary.Intervals(intervals.b(), intervals.replicates(),
            intervals.seed(), intervals.seconds()), null);
  }

  /** The headline metrics, in order: their names in compare.json and the table. */
  enum Headline {
    LOSS_MEAN("loss_mean", "mean loss", Metric.LOSS_MEAN),
    PERPLEXITY("perplexity", "perplexity", null),
    ACCURACY("accuracy", "accuracy", Metric.ACCURACY),
    TOP_K_ACCURACY("top_k_accuracy", "top-k accuracy", Metric.TOP_K_ACCURACY),
    BRIER("brier", "Brier score", Metric.BRIER),
    ECE("ece", "ECE", Metric.ECE),
    MCE("mce", "MCE", null),
    RMSCE("rmsce", "RMSCE", null),
    ADAPTIVE_ECE("adaptive_ece", "adaptive ECE", null),
    MEAN_ENTROPY("mean_entropy", "mean entropy", null);

    final String key;
    final String label;
    /** Its bootstrap interval's metric, or null for none. */
    final Metric metric;

    Headline(String key, String label, Metric metric) {
      this.key = key;
      this.label = label;
      this.metric = metric;
    }
  }

  /** A model's value of a headline metric over the compared pairs. */
  static double value(Summary s, Headline h) {
    return switch (h) {
      case LOSS_MEAN -> s.stats.lossMean();
      case PERPLEXITY -> s.perplexity();
      case ACCURACY -> s.accuracy();
      case TOP_K_ACCURACY -> s.topKAccuracy();
      case BRIER -> s.brier();
      case ECE -> s.ece();
      case MCE -> s.mce();
      case RMSCE -> s.rmsce();
      case ADAPTIVE_ECE -> s.adaptiveEce();
      case MEAN_ENTROPY -> s.stats.entropyMean();
    };
  }

  /** The interval of {@code h} of a model ({@code side} 0 or 1), or null. */
  double[] interval(int side, Headline h) {
    if (intervals == null || (h.metric == null && h != Headline.PERPLEXITY)) {
      return null;
    }
    Map<Metric, double[]> ci = side == 0 ? intervals.a() : intervals.b();
    double[] v = ci.get(h == Headline.PERPLEXITY ? Metric.LOSS_MEAN : h.metric);
    if (v == null || !Double.isFinite(v[0]) || !Double.isFinite(v[1])) {
      return null;
    }
    return h == Headline.PERPLEXITY
        ? new double[] {StrictMath.exp(v[0]), StrictMath.exp(v[1])} : v;
  }

  /** The paired loss difference's bootstrap interval, or null. */
  double[] lossDifferenceInterval() {
    double[] v = intervals == null ? null : intervals.lossDifference();
    return v == null || !Double.isFinite(v[0]) || !Double.isFinite(v[1]) ? null : v;
  }

  double pValue() {
    return McNemar.pValue(stats.aOnlyRight(), stats.bOnlyRight());
  }

  /** Per class that occurs as a label or a prediction of either model, in class order. */
  List<ClassDelta> perClass() {
    if (stats.a().perClass() == null) {
      return List.of();
    }
    TreeMap<Integer, ClassFigures[]> classes = new TreeMap<>();
    for (ClassFigures f : stats.a().perClass().figures()) {
      classes.computeIfAbsent(f.label(), k -> new ClassFigures[2])[0] = f;
    }
    for (ClassFigures f : stats.b().perClass().figures()) {
      classes.computeIfAbsent(f.label(), k -> new ClassFigures[2])[1] = f;
    }
    List<ClassDelta> out = new ArrayList<>();
    classes.forEach((c, f) -> out.add(new ClassDelta(c,
        f[0] != null ? f[0].support() : f[1].support(), f[0], f[1])));
    return out;
  }

  // ---------------------------------------------------------------- compare.json

  String json() {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      rows(g);
      for (int side = 0; side < 2; side++) {
        model(g, side == 0 ? "a" : "b", side);
      }
      paired(g);
      if (stats.a().perClass() != null) {
        g.writeObjectFieldStart("per_class");
        List<ClassDelta> deltas = perClass();
        g.writeNumberField("classes", deltas.size());
        double[][] avg = {PerClassStats.averages(stats.a().perClass().figures()),
            PerClassStats.averages(stats.b().perClass().figures())};
        String[] names = {"precision", "recall", "f1"};
        for (int w = 0; w < 2; w++) {
          g.writeObjectFieldStart(w == 0 ? "macro" : "weighted");
          for (int i = 0; i < 3; i++) {
            g.writeObjectFieldStart(names[i]);
            Summary.number(g, "a", avg[0][3 * w + i]);
            Summary.number(g, "b", avg[1][3 * w + i]);
            Summary.number(g, "difference", avg[1][3 * w + i] - avg[0][3 * w + i]);
            g.writeEndObject();
          }
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      for (int side = 0; side < 2; side++) {
        input(g, side);
      }
      if (intervals != null) {
        Summary.bootstrap(g, "paired percentile, resampling " + BootstrapBuckets.BUCKETS
            + " buckets of pairs hashed by (seed, id), the same draws for A, B and B - A",
            intervals.replicates(), intervals.seed(), intervals.seconds());
      }
      g.writeObjectFieldStart("timing");
      Summary.number(g, "compare_seconds", seconds);
      long rows = rows(0) + rows(1);
      Summary.number(g, "rows_per_second", seconds > 0 ? rows / seconds : Double.NaN);
      g.writeEndObject();
      Summary.write(g, "options", options);
      Summary.write(g, "versions", Summary.versions());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString() + System.lineSeparator();
  }

  /** The rows read of input A ({@code side} 0) or B. */
  long rows(int side) {
    PartitionStats s = stats.input(side);
    return s == null ? 0 : s.rows();
  }

  private void rows(JsonGenerator g) throws IOException {
    g.writeObjectFieldStart("ids");
    g.writeNumberField("total", stats.ids());
    for (Kind k : Kind.values()) {
      g.writeNumberField(k.key, stats.count(k));
    }
    g.writeNumberField("duplicate_rows_a", stats.duplicateRows(0));
    g.writeNumberField("duplicate_rows_b", stats.duplicateRows(1));
    g.writeNumberField("null_id_rows_a", stats.nullIds(0));
    g.writeNumberField("null_id_rows_b", stats.nullIds(1));
    g.writeObjectFieldStart("examples");
    for (Kind k : Kind.values()) {
      if (k == Kind.COMPARED) {
        continue;
      }
      g.writeArrayFieldStart(k.key);
      for (long id : stats.examples(k)) {
        g.writeNumber(id);
      }
      g.writeEndArray();
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  private void model(JsonGenerator g, String name, int side) throws IOException {
    Summary s = side == 0 ? a : b;
    g.writeObjectFieldStart(name);
    g.writeNumberField("pairs", s.stats.evaluatedRows());
    g.writeObjectFieldStart("loss");
    Summary.number(g, "mean", s.stats.lossMean());
    interval(g, "mean_ci", interval(side, Headline.LOSS_MEAN));
    Summary.number(g, "sum", s.stats.lossSum());
    Summary.number(g, "perplexity", s.perplexity());
    interval(g, "perplexity_ci", interval(side, Headline.PERPLEXITY));
    g.writeNumberField("finite", s.stats.lossFinite());
    g.writeNumberField("non_finite", s.stats.lossNonFinite());
    g.writeEndObject();
    g.writeObjectFieldStart("metrics");
    for (Headline h : Headline.values()) {
      if (h == Headline.LOSS_MEAN || h == Headline.PERPLEXITY) {
        continue;
      }
      Summary.number(g, h.key, value(s, h));
      if (h.metric != null) {
        interval(g, h.key + "_ci", interval(side, h));
      }
      if (h == Headline.TOP_K_ACCURACY) {
        g.writeNumberField("top_k", topK);
      }
    }
    g.writeNumberField("calibration_bins", s.stats.bins());
    g.writeEndObject();
    g.writeEndObject();
  }

  private void paired(JsonGenerator g) throws IOException {
    g.writeObjectFieldStart("paired");
    g.writeNumberField("pairs", stats.count(Kind.COMPARED));
    g.writeObjectFieldStart("loss_difference");
    Summary.number(g, "mean", stats.lossDifferenceMean());
    interval(g, "mean_ci", lossDifferenceInterval());
    Summary.number(g, "sum", stats.lossDifferenceSum());
    g.writeNumberField("pairs", stats.lossPairs());
    g.writeNumberField("pairs_with_a_non_finite_loss",
        stats.count(Kind.COMPARED) - stats.lossPairs());
    g.writeEndObject();
    g.writeObjectFieldStart("differences");
    for (Headline h : Headline.values()) {
      if (h != Headline.LOSS_MEAN) {
        // the loss's is loss_difference, over the pairs
        Summary.number(g, h.key, value(b, h) - value(a, h));
      }
    }
    g.writeEndObject();
    g.writeObjectFieldStart("mcnemar");
    g.writeStringField("method", "exact: two-sided binomial test of min(b01, b10) of"
        + " b01 + b10 with p = 1/2, as statsmodels' mcnemar(table, exact=True)");
    g.writeNumberField("both_right", stats.bothRight());
    g.writeNumberField("b01", stats.aOnlyRight());
    g.writeNumberField("b10", stats.bOnlyRight());
    g.writeNumberField("both_wrong", stats.bothWrong());
    g.writeNumberField("statistic", Math.min(stats.aOnlyRight(), stats.bOnlyRight()));
    Summary.number(g, "p_value", pValue());
    Summary.number(g, "log10_p_value",
        McNemar.log10PValue(stats.aOnlyRight(), stats.bOnlyRight()));
    g.writeEndObject();
    g.writeEndObject();
  }

  private void input(JsonGenerator g, int side) throws IOException {
    g.writeObjectFieldStart(side == 0 ? "input_a" : "input_b");
    for (Map.Entry<String, Object> e : (side == 0 ? inputA : inputB).entrySet()) {
      Object v = e.getValue();
      if (v instanceof List<?> list) {
        g.writeArrayFieldStart(e.getKey());
        for (Object o : list) {
          g.writeString(String.valueOf(o));
        }
        g.writeEndArray();
      } else if (v instanceof Number n) {
        g.writeNumberField(e.getKey(), n.longValue());
      } else {
        g.writeStringField(e.getKey(), String.valueOf(v));
      }
    }
    PartitionStats s = stats.input(side);
    if (s == null) {
      s = new PartitionStats(stats.a().bins());
    }
    g.writeObjectFieldStart("rows");
    g.writeNumberField("total", s.rows());
    g.writeNumberField("evaluated", s.evaluatedRows());
    g.writeNumberField("skipped", s.skippedRows());
    g.writeObjectFieldStart("skipped_by_reason");
    for (Map.Entry<String, Long> e : s.skipped().entrySet()) {
      g.writeNumberField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
    Summary.incidents(g, s, naiveDtype);
    g.writeEndObject();
  }

  private static void interval(JsonGenerator g, String name, double[] ci) throws IOException {
    if (ci == null) {
      return;
    }
    g.writeArrayFieldStart(name);
    g.writeNumber(ShortestDouble.of(ci[0]));
    g.writeNumber(ShortestDouble.of(ci[1]));
    g.writeEndArray();
  }

  // ---------------------------------------------------------------- the printed table

  String table() {
    StringBuilder sb = new StringBuilder();
    Summary.line(sb, "ids", String.format("%,d (%,d pairs compared)", stats.ids(),
        stats.count(Kind.COMPARED)));
    for (Kind k : Kind.values()) {
      long n = stats.count(k);
      if (k != Kind.COMPARED && n > 0) {
        List<Long> ids = stats.examples(k);
        String e = ids.subList(0, Math.min(3, ids.size())).toString();
        Summary.line(sb, "  " + k.key.replace('_', ' '), String.format("%,d  e.g. %s%s", n,
            e.substring(1, e.length() - 1), n > 3 ? ", ..." : ""));
      }
    }
    for (int side = 0; side < 2; side++) {
      if (stats.nullIds(side) > 0) {
        Summary.line(sb, "  null id rows (" + (side == 0 ? "A" : "B") + ")",
            String.format("%,d (not paired)", stats.nullIds(side)));
      }
    }
    for (int side = 0; side < 2; side++) {
      PartitionStats s = stats.input(side);
      if (s == null) {
        continue;
      }
      String name = side == 0 ? "A" : "B";
      Summary.line(sb, name + ": rows", String.format("%,d (%,d evaluated, %,d skipped)",
          s.rows(), s.evaluatedRows(), s.skippedRows()) + (s.incidentRows() == 0 ? ""
          : String.format(", %,d with incidents", s.incidentRows())));
      for (Map.Entry<String, Long> e : s.skipped().entrySet()) {
        Summary.line(sb, "  " + e.getKey(), String.format("%,d", e.getValue()));
      }
    }
    Summary.line(sb, "over the pairs", columns("A", "B", "B - A"));
    for (Headline h : Headline.values()) {
      String label = switch (h) {
        case TOP_K_ACCURACY -> "top-" + topK + " accuracy";
        case ECE -> "ECE (" + stats.a().bins() + " bins)";
        default -> h.label;
      };
      double va = value(a, h);
      double vb = value(b, h);
      double d = h == Headline.LOSS_MEAN ? stats.lossDifferenceMean() : vb - va;
      Summary.line(sb, "  " + label, columns(Figures.compact(va), Figures.compact(vb),
          Figures.compact(d)));
    }
    if (stats.a().perClass() != null) {
      double[] fa = PerClassStats.averages(stats.a().perClass().figures());
      double[] fb = PerClassStats.averages(stats.b().perClass().figures());
      Summary.line(sb, "  macro F1", columns(Figures.compact(fa[2]), Figures.compact(fb[2]),
          Figures.compact(fb[2] - fa[2])));
    }
    double[] ci = lossDifferenceInterval();
    Summary.line(sb, "paired loss B - A", Figures.compact(stats.lossDifferenceMean())
        + (ci == null ? "" : "  95% CI [" + Figures.compact(ci[0]) + ", "
            + Figures.compact(ci[1]) + "]")
        + String.format(" over %,d pairs", stats.lossPairs()));
    Summary.line(sb, "McNemar exact", String.format("b01 = %,d, b10 = %,d, p = %s",
        stats.aOnlyRight(), stats.bOnlyRight(), pValueText()));
    Summary.line(sb, "time", String.format("%.2f s", seconds) + (intervals == null ? ""
        : String.format(" + %.2f s bootstrap (%,d replicates, seed %d)", intervals.seconds(),
            intervals.replicates(), intervals.seed())));
    return sb.toString();
  }

  /** The p-value, or "1e-N" from its logarithm where it underflows. */
  String pValueText() {
    double p = pValue();
    if (p >= Double.MIN_NORMAL || p == 0 && stats.aOnlyRight() + stats.bOnlyRight() == 0) {
      return String.format("%.4g", p);
    }
    double log10 = McNemar.log10PValue(stats.aOnlyRight(), stats.bOnlyRight());
    return String.format("%.4ge%d", Math.pow(10, log10 - Math.floor(log10)),
        (long) Math.floor(log10));
  }

  private static String columns(String a, String b, String d) {
    return String.format("%-14s %-14s %s", a, b, d);
  }
}
