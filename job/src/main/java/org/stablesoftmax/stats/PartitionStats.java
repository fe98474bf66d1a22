package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import org.stablesoftmax.kernel.IncidentKind;

/**
 * What one partition of an evaluation found, mergeable into the whole: row counts and the
 * reasons for skipped rows, the exact sum of the losses, accuracy and top-k counts, the exact
 * sum of entropies and of Brier scores, a calibration histogram, a fine exact histogram of the
 * confidences (for equal-mass bins), a histogram of the losses, and per incident kind a count and the smallest example row
 * ids.
 *
 * <p>Every field is a count or an {@link ExactSum}, and the examples are the smallest ids, so a
 * merge of the partitions' states is the same, to the bit, whatever the partitioning or the order
 * of the merges. An empty state (no rows) is the identity of {@link #merge}.
 *
 * <p>Not thread-safe.
 */
public final class PartitionStats implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Example ids kept per incident kind. */
  public static final int EXAMPLES = 10;
  /** The default number of calibration bins over the top probability: [0, 1/15), ..., [14/15, 1]. */
  public static final int BINS = 15;

  private static final int KINDS = IncidentKind.values().length;

  private long rows;
  private final TreeMap<String, Long> skipped = new TreeMap<>();
  // over evaluated rows
  private long evaluated;
  private final ExactSum lossSum = new ExactSum();
  private long lossFinite;
  private long lossNonFinite;
  private long correct;
  private long topKCorrect;
  private final ExactSum entropySum = new ExactSum();
  private long entropyFinite;
  private final ExactSum brierSum = new ExactSum();
  private long brierFinite;
  private final int bins;
  private final long[] binCount;
  private final long[] binCorrect;
  /** Per bin, the sum of the top probabilities (weighted: of weight times probability). */
  private final ExactSum[] binConfidence;
  /** The weights' sums, for an evaluation with sample or class weights; null without. */
  private final Weights weights;
  /** The bootstrap's bucket sums, for an evaluation with a bootstrap; null without. */
  private final BootstrapBuckets bootstrap;
  /** The per-class sums, with --per-class; null without. */
  private PerClassStats perClass;
  /** The fine histogram of the top probabilities, for the equal-mass bins. */
  private final ConfidenceHistogram confidenceHistogram;
  /** The rows' losses (of rows with a label) in log-spaced bins. */
  private final LossHistogram lossHistogram = new LossHistogram();
  // over all rows
  private final long[] incidentCount = new long[KINDS];
  private long naiveFailureRows;
  private long incidentRows;
  /** Evaluated rows of a null group, with --group-col. */
  private long nullGroupRows;
  private final List<List<RowId>> examples = new ArrayList<>(KINDS);

  /**
   * The sums of an evaluation with weights: per row a sample weight {@code s} (1 without one)
   * and a loss weight {@code w} (the label's class weight, 1 without). Every mean is then
   * {@code Σ s x / Σ s} (the loss: {@code Σ s ℓ / Σ s w}, {@code ℓ} already holding {@code w}),
   * with {@code s x} summed exactly (two-product), as scikit-learn's {@code sample_weight} and
   * PyTorch's class weights define them.
   */
  private static final class Weights implements Serializable {
    private static final long serialVersionUID = 1L;

    final ExactSum weight = new ExactSum();
    final ExactSum lossWeight = new ExactSum();
    final ExactSum correct = new ExactSum();
    final ExactSum topK = new ExactSum();
    final ExactSum entropyWeight = new ExactSum();
    final ExactSum brierWeight = new ExactSum();
    final ExactSum[] bin;
    final ExactSum[] binCorrect;
    /** Per bin, Σ s^2: Kish's effective count is (Σ s)^2 / Σ s^2. */
    final ExactSum[] binSquares;

    Weights(int bins) {
      bin = sums(bins);
      binCorrect = sums(bins);
      binSquares = sums(bins);
    }

    void merge(Weights o) {
      weight.add(o.weight);
      lossWeight.add(o.lossWeight);
      correct.add(o.correct);
      topK.add(o.topK);
      entropyWeight.add(o.entropyWeight);
      brierWeight.add(o.brierWeight);
      for (int b = 0; b < bin.length; b++) {
        bin[b].add(o.bin[b]);
        binCorrect[b].add(o.binCorrect[b]);
        binSquares[b].add(o.binSquares[b]);
      }
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Weights)) {
        return false;
      }
      Weights t = (Weights) o;
      return weight.equals(t.weight) && lossWeight.equals(t.lossWeight)
          && correct.equals(t.correct) && topK.equals(t.topK)
          && entropyWeight.equals(t.entropyWeight) && brierWeight.equals(t.brierWeight)
          && Arrays.equals(bin, t.bin) && Arrays.equals(binCorrect, t.binCorrect)
          && Arrays.equals(binSquares, t.binSquares);
    }

    @Override
    public int hashCode() {
      return weight.hashCode();
    }
  }

  private static ExactSum[] sums(int n) {
    ExactSum[] out = new ExactSum[n];
    for (int i = 0; i < n; i++) {
      out[i] = new ExactSum();
    }
    return out;
  }

  /** A state with the default {@link #BINS} calibration bins, without weights. */
  public PartitionStats() {
    this(BINS, false);
  }

  /** A state with {@code bins} equal-width calibration bins, without weights. */
  public PartitionStats(int bins) {
    this(bins, false);
  }

  /**
   * A state with {@code bins} equal-width calibration bins; {@code weighted} for an evaluation
   * with sample or class weights (see {@link #evaluated}).
   */
  public PartitionStats(int bins, boolean weighted) {
    this(bins, weighted, null);
  }

  /**
   * {@link #PartitionStats(int, boolean)} with the bucket sums of a bootstrap ({@code bootstrap}
   * empty, of {@code bins} bins), or null for none.
   */
  public PartitionStats(int bins, boolean weighted, BootstrapBuckets bootstrap) {
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be >= 1, got " + bins);
    }
    this.bins = bins;
    this.weights = weighted ? new Weights(bins) : null;
    if (bootstrap != null && bootstrap.bins() != bins) {
      throw new IllegalArgumentException("bootstrap buckets of " + bootstrap.bins()
          + " bins for a state of " + bins);
    }
    this.bootstrap = bootstrap;
    this.confidenceHistogram = new ConfidenceHistogram(weighted);
    binCount = new long[bins];
    binCorrect = new long[bins];
    binConfidence = new ExactSum[bins];
    for (int b = 0; b < bins; b++) {
      binConfidence[b] = new ExactSum();
    }
    for (int k = 0; k < KINDS; k++) {
      examples.add(new ArrayList<>());
    }
  }

  // ------------------------------------------------------------------ updates

  /** Counts a row that was read, evaluated or not. */
  public void row(RowId id, int incidents) {
    rows++;
    if (incidents != 0) {
      incidentRows++;
    }
    if ((incidents & IncidentKind.NAIVE_FAILURES) != 0) {
      naiveFailureRows++;
    }
    for (int bits = incidents; bits != 0; bits &= bits - 1) {
      int k = Integer.numberOfTrailingZeros(bits);
      incidentCount[k]++;
      keepExample(examples.get(k), id);
    }
  }

  /** Counts an evaluated row whose group is null (with groups). */
  public void nullGroupRow() {
    nullGroupRows++;
  }

  /** Evaluated rows whose group is null (with groups), left out of the groups' figures. */
  public long nullGroupRows() {
    return nullGroupRows;
  }

  /** Counts a row that was not evaluated, and why (e.g. "null_logits"). */
  public void skip(String reason) {
    skipped.merge(Objects.requireNonNull(reason, "reason"), 1L, Long::sum);
  }

  /**
   * Adds an evaluated row of a state without weights: its loss (NaN or infinite losses are
   * counted apart, not summed), whether the top-1 and top-k predictions hold the label (false
   * without a label), the entropy, the top probability and the Brier score (a NaN one is left
   * out).
   */
  public void evaluated(double loss, boolean top1, boolean topK, double entropy,
      double maxProbability, double brier) {
    evaluated(1.0, 1.0, loss, top1, topK, entropy, maxProbability, brier);
  }

  /**
   * Adds an evaluated row with its sample weight {@code s >= 0} and loss weight {@code w} (the
   * label's class weight; the loss already holds it): every sum takes {@code s} times the row's
   * value, the loss's denominator {@code s w}. A state without weights takes only {@code s = w =
   * 1}.
   */
  public void evaluated(double s, double w, double loss, boolean top1, boolean topK,
      double entropy, double maxProbability, double brier) {
    if (weights == null && (s != 1.0 || w != 1.0)) {
      throw new IllegalArgumentException("a state without weights takes weights of 1, got "
          + s + " and " + w);
    }
    if (!Double.isNaN(brier)) {
      add(brierSum, s, brier);
      brierFinite++;
      if (weights != null) {
        weights.brierWeight.add(s);
      }
    }
    lossHistogram.add(loss);
    if (Double.isFinite(loss)) {
      add(lossSum, s, loss);
      lossFinite++;
      if (weights != null) {
        weights.lossWeight.addProduct(s, w);
      }
    } else {
      lossNonFinite++;
    }
    if (top1) {
      correct++;
    }
    if (topK) {
      topKCorrect++;
    }
    if (weights != null) {
      if (top1) {
        weights.correct.add(s);
      }
      if (topK) {
        weights.topK.add(s);
      }
    }
    add(s, entropy, maxProbability, top1);
  }

  /**
   * Adds an evaluated row without a label, of sample weight {@code s} (1 without weights): its
   * entropy and top probability.
   */
  public void evaluatedUnlabeled(double s, double entropy, double maxProbability) {
    add(s, entropy, maxProbability, false);
  }

  /** Adds {@code s x} to {@code sum}: {@code x} itself for {@code s = 1}. */
  private static void add(ExactSum sum, double s, double x) {
    if (s == 1.0) {
      sum.add(x);
    } else {
      sum.addProduct(s, x);
    }
  }

  private void add(double s, double entropy, double maxProbability, boolean top1) {
    evaluated++;
    if (weights != null) {
      weights.weight.add(s);
    }
    if (Double.isFinite(entropy)) {
      add(entropySum, s, entropy);
      entropyFinite++;
      if (weights != null) {
        weights.entropyWeight.add(s);
      }
    }
    if (maxProbability >= 0.0 && maxProbability <= 1.0) {
      confidenceHistogram.add(maxProbability, top1, s);
      int b = bin(maxProbability, bins);
      binCount[b]++;
      add(binConfidence[b], s, maxProbability);
      if (top1) {
        binCorrect[b]++;
      }
      if (weights != null) {
        weights.bin[b].add(s);
        weights.binSquares[b].addProduct(s, s);
        if (top1) {
          weights.binCorrect[b].add(s);
        }
      }
    }
  }

  /**
   * The calibration bin of a confidence {@code p} in [0, 1] among {@code bins} equal-width bins:
   * the largest {@code b} with {@code b / bins <= p} (the edge the double nearest it), and the
   * last bin for 1.0: bin {@code b} is {@code [b / bins, (b + 1) / bins)}, the last closed.
   */
  public static int bin(double p, int bins) {
    int b = (int) (p * bins);
    // p * bins rounds: move b to the bin whose edges, as doubles, hold p
    if (b > 0 && p < edge(b, bins)) {
      b--;
    } else if (b + 1 < bins && p >= edge(b + 1, bins)) {
      b++;
    }
    return Math.min(b, bins - 1);
  }

  /** The lower edge of bin {@code b}, {@code b / bins} rounded to the nearest double. */
  public static double edge(int b, int bins) {
    return (double) b / bins;
  }

  private static void keepExample(List<RowId> kept, RowId id) {
    // rows mostly come in order: most are after a full list's last
    if (kept.size() == EXAMPLES && id.compareTo(kept.get(EXAMPLES - 1)) >= 0) {
      return;
    }
    int at = Collections.binarySearch(kept, id);
    if (at >= 0) {
      return;
    }
    int insert = -at - 1;
    if (insert < EXAMPLES) {
      kept.add(insert, id);
      if (kept.size() > EXAMPLES) {
        kept.remove(EXAMPLES);
      }
    }
  }

  /** Adds {@code other} into this state; {@code other} is unchanged. */
  public PartitionStats merge(PartitionStats other) {
    if (other == this) {
      throw new IllegalArgumentException("cannot merge a PartitionStats with itself");
    }
    if (other.bins != bins || (other.weights == null) != (weights == null)
        || (other.bootstrap == null) != (bootstrap == null)) {
      throw new IllegalArgumentException("cannot merge a state of " + other.bins
          + " calibration bins" + (other.weights == null ? "" : " with weights")
          + (other.bootstrap == null ? "" : " with a bootstrap") + " into one of " + bins
          + (weights == null ? "" : " with weights") + (bootstrap == null ? ""
          : " with a bootstrap"));
    }
    if (weights != null) {
      weights.merge(other.weights);
    }
    if (bootstrap != null) {
      bootstrap.merge(other.bootstrap);
    }
    if ((other.perClass == null) != (perClass == null)) {
      throw new IllegalArgumentException("cannot merge a state with per-class sums and one"
          + " without");
    }
    if (perClass != null) {
      perClass.merge(other.perClass);
    }
    confidenceHistogram.merge(other.confidenceHistogram);
    lossHistogram.merge(other.lossHistogram);
    rows += other.rows;
    other.skipped.forEach((reason, n) -> skipped.merge(reason, n, Long::sum));
    evaluated += other.evaluated;
    lossSum.add(other.lossSum);
    lossFinite += other.lossFinite;
    lossNonFinite += other.lossNonFinite;
    correct += other.correct;
    topKCorrect += other.topKCorrect;
    entropySum.add(other.entropySum);
    entropyFinite += other.entropyFinite;
    brierSum.add(other.brierSum);
    brierFinite += other.brierFinite;
    for (int b = 0; b < bins; b++) {
      binCount[b] += other.binCount[b];
      binCorrect[b] += other.binCorrect[b];
      binConfidence[b].add(other.binConfidence[b]);
    }
    naiveFailureRows += other.naiveFailureRows;
    incidentRows += other.incidentRows;
    nullGroupRows += other.nullGroupRows;
    for (int k = 0; k < KINDS; k++) {
      incidentCount[k] += other.incidentCount[k];
      for (RowId id : other.examples.get(k)) {
        keepExample(examples.get(k), id);
      }
    }
    return this;
  }

  // ------------------------------------------------------------------ results

  public long rows() {
    return rows;
  }

  public long evaluatedRows() {
    return evaluated;
  }

  /** Skipped rows by reason, in reason order. */
  public TreeMap<String, Long> skipped() {
    return new TreeMap<>(skipped);
  }

  public long skippedRows() {
    return skipped.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The exact sum of the finite losses, rounded once. */
  public double lossSum() {
    return lossSum.doubleValue();
  }

  /**
   * The mean of the finite losses (the exact sum divided once by their count, or with weights
   * by Σ s w); NaN if there are none (or their weights are 0).
   */
  public double lossMean() {
    if (weights != null) {
      return ratio(lossSum, weights.lossWeight);
    }
    return lossFinite == 0 ? Double.NaN : lossSum.doubleValue() / lossFinite;
  }

  /** Keeps per-class sums from now on (before any row): for --per-class. */
  public PartitionStats withPerClass() {
    perClass = new PerClassStats(bins);
    return this;
  }

  /** The per-class sums, or null for an evaluation without them. */
  public PerClassStats perClass() {
    return perClass;
  }

  /** The bootstrap's bucket sums, or null for an evaluation without a bootstrap. */
  public BootstrapBuckets bootstrap() {
    return bootstrap;
  }

  /** Whether the state has weights. */
  public boolean weighted() {
    return weights != null;
  }

  /** The sum of the evaluated rows' sample weights (their count without weights). */
  public double weightSum() {
    return weights == null ? evaluated : weights.weight.doubleValue();
  }

  /** The share (weighted) of evaluated rows whose top-1 prediction is the label. */
  public double accuracy() {
    return weights == null ? ratio(correct, evaluated) : ratio(weights.correct, weights.weight);
  }

  /** The share (weighted) of evaluated rows whose top k holds the label. */
  public double topKAccuracy() {
    return weights == null ? ratio(topKCorrect, evaluated)
        : ratio(weights.topK, weights.weight);
  }

  private static double ratio(long a, long b) {
    return b == 0 ? Double.NaN : (double) a / b;
  }

  private static double ratio(ExactSum a, ExactSum b) {
    double d = b.doubleValue();
    return d == 0 ? Double.NaN : a.doubleValue() / d;
  }

  public long lossFinite() {
    return lossFinite;
  }

  public long lossNonFinite() {
    return lossNonFinite;
  }

  /** The (weighted) mean of the finite entropies; NaN if there are none. */
  public double entropyMean() {
    if (weights != null) {
      return ratio(entropySum, weights.entropyWeight);
    }
    return entropyFinite == 0 ? Double.NaN : entropySum.doubleValue() / entropyFinite;
  }

  /** The mean of the rows' Brier scores (the exact sum divided once); NaN if there are none. */
  public double brierMean() {
    if (weights != null) {
      return ratio(brierSum, weights.brierWeight);
    }
    return brierFinite == 0 ? Double.NaN : brierSum.doubleValue() / brierFinite;
  }

  /** The number of calibration bins. */
  public int bins() {
    return bins;
  }

  /**
   * The {@link #bins()} equal-mass bins of the top probabilities ({@link AdaptiveBins}), cut
   * from this state's exact histogram of them.
   */
  public AdaptiveBins adaptiveBins() {
    return AdaptiveBins.of(confidenceHistogram, bins);
  }

  /** The evaluated rows' losses (with a label) in log-spaced bins: a copy. */
  public LossHistogram lossHistogram() {
    return new LossHistogram().merge(lossHistogram);
  }

  /** Rows per calibration bin. */
  public long[] binCounts() {
    return binCount.clone();
  }

  /** Correct top-1 predictions per calibration bin. */
  public long[] binCorrect() {
    return binCorrect.clone();
  }

  /** The (weighted) sum of the top probabilities per calibration bin, rounded once. */
  public double[] binConfidence() {
    return values(binConfidence);
  }

  /** The sum of the sample weights per calibration bin (its row count without weights). */
  public double[] binWeight() {
    return weights == null ? asDoubles(binCount) : values(weights.bin);
  }

  /** The sum of the sample weights of correct predictions per bin (their count without). */
  public double[] binCorrectWeight() {
    return weights == null ? asDoubles(binCorrect) : values(weights.binCorrect);
  }

  /**
   * Kish's effective row count per bin, {@code (Σ s)^2 / Σ s^2}: the row count without weights
   * (and with equal ones); 0 for a bin of no weight.
   */
  public double[] binEffectiveRows() {
    if (weights == null) {
      return asDoubles(binCount);
    }
    double[] out = new double[bins];
    for (int b = 0; b < bins; b++) {
      double w = weights.bin[b].doubleValue();
      double w2 = weights.binSquares[b].doubleValue();
      out[b] = w2 == 0 ? 0.0 : w * w / w2;
    }
    return out;
  }

  private static double[] values(ExactSum[] sums) {
    double[] out = new double[sums.length];
    for (int i = 0; i < sums.length; i++) {
      out[i] = sums[i].doubleValue();
    }
    return out;
  }

  private static double[] asDoubles(long[] counts) {
    double[] out = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = counts[i];
    }
    return out;
  }

  public long incidentCount(IncidentKind kind) {
    return incidentCount[kind.ordinal()];
  }

  /** The smallest ids of the rows with this kind of incident, at most {@link #EXAMPLES}. */
  public List<RowId> examples(IncidentKind kind) {
    return List.copyOf(examples.get(kind.ordinal()));
  }

  /** Rows on which the naive loss is not finite (NAIVE_OVERFLOW, _UNDERFLOW, _TARGET_UNDERFLOW). */
  public long naiveFailureRows() {
    return naiveFailureRows;
  }

  /** Rows with at least one incident of any kind. */
  public long incidentRows() {
    return incidentRows;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PartitionStats)) {
      return false;
    }
    PartitionStats t = (PartitionStats) o;
    return rows == t.rows && skipped.equals(t.skipped) && evaluated == t.evaluated
        && lossSum.equals(t.lossSum) && lossFinite == t.lossFinite
        && lossNonFinite == t.lossNonFinite && correct == t.correct
        && topKCorrect == t.topKCorrect && entropySum.equals(t.entropySum)
        && entropyFinite == t.entropyFinite && brierSum.equals(t.brierSum)
        && brierFinite == t.brierFinite && Arrays.equals(binCount, t.binCount)
        && Arrays.equals(binCorrect, t.binCorrect)
        && Arrays.equals(binConfidence, t.binConfidence)
        && Objects.equals(weights, t.weights) && Objects.equals(bootstrap, t.bootstrap)
        && Objects.equals(perClass, t.perClass)
        && confidenceHistogram.equals(t.confidenceHistogram)
        && lossHistogram.equals(t.lossHistogram)
        && Arrays.equals(incidentCount, t.incidentCount)
        && naiveFailureRows == t.naiveFailureRows && incidentRows == t.incidentRows
        && nullGroupRows == t.nullGroupRows
        && examples.equals(t.examples);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rows, evaluated, lossSum, lossFinite, correct, naiveFailureRows,
        Arrays.hashCode(incidentCount));
  }
}
