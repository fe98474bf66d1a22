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
 * sum of entropies and of Brier scores, a calibration histogram, and per incident kind a count and the smallest
 * example row ids.
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
  private final ExactSum[] binConfidence;
  // over all rows
  private final long[] incidentCount = new long[KINDS];
  private long naiveFailureRows;
  private long incidentRows;
  private final List<List<RowId>> examples = new ArrayList<>(KINDS);

  /** A state with the default {@link #BINS} calibration bins. */
  public PartitionStats() {
    this(BINS);
  }

  /** A state with {@code bins} equal-width calibration bins. */
  public PartitionStats(int bins) {
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be >= 1, got " + bins);
    }
    this.bins = bins;
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

  /** Counts a row that was not evaluated, and why (e.g. "null_logits"). */
  public void skip(String reason) {
    skipped.merge(Objects.requireNonNull(reason, "reason"), 1L, Long::sum);
  }

  /**
   * Adds an evaluated row: its loss (NaN or infinite losses are counted apart, not summed),
   * whether the top-1 and top-k predictions hold the label (false without a label), the entropy,
   * the top probability and the Brier score (a NaN one is left out).
   */
  public void evaluated(double loss, boolean top1, boolean topK, double entropy,
      double maxProbability, double brier) {
    if (!Double.isNaN(brier)) {
      brierSum.add(brier);
      brierFinite++;
    }
    if (Double.isFinite(loss)) {
      lossSum.add(loss);
      lossFinite++;
    } else {
      lossNonFinite++;
    }
    if (top1) {
      correct++;
    }
    if (topK) {
      topKCorrect++;
    }
    add(entropy, maxProbability, top1);
  }

  /** Adds an evaluated row without a label: its entropy and top probability. */
  public void evaluatedUnlabeled(double entropy, double maxProbability) {
    add(entropy, maxProbability, false);
  }

  private void add(double entropy, double maxProbability, boolean top1) {
    evaluated++;
    if (Double.isFinite(entropy)) {
      entropySum.add(entropy);
      entropyFinite++;
    }
    if (maxProbability >= 0.0 && maxProbability <= 1.0) {
      int b = bin(maxProbability, bins);
      binCount[b]++;
      binConfidence[b].add(maxProbability);
      if (top1) {
        binCorrect[b]++;
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
    if (other.bins != bins) {
      throw new IllegalArgumentException("cannot merge " + other.bins + " calibration bins into "
          + bins);
    }
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

  /** The mean of the finite losses (the exact sum divided once); NaN if there are none. */
  public double lossMean() {
    return lossFinite == 0 ? Double.NaN : lossSum.doubleValue() / lossFinite;
  }

  public long lossFinite() {
    return lossFinite;
  }

  public long lossNonFinite() {
    return lossNonFinite;
  }

  public long correct() {
    return correct;
  }

  public long topKCorrect() {
    return topKCorrect;
  }

  /** The mean of the finite entropies; NaN if there are none. */
  public double entropyMean() {
    return entropyFinite == 0 ? Double.NaN : entropySum.doubleValue() / entropyFinite;
  }

  /** The mean of the rows' Brier scores (the exact sum divided once); NaN if there are none. */
  public double brierMean() {
    return brierFinite == 0 ? Double.NaN : brierSum.doubleValue() / brierFinite;
  }

  /** The number of calibration bins. */
  public int bins() {
    return bins;
  }

  /** Rows per calibration bin. */
  public long[] binCounts() {
    return binCount.clone();
  }

  /** Correct top-1 predictions per calibration bin. */
  public long[] binCorrect() {
    return binCorrect.clone();
  }

  /** The sum of the top probabilities per calibration bin, rounded once. */
  public double[] binConfidence() {
    double[] out = new double[bins];
    for (int b = 0; b < bins; b++) {
      out[b] = binConfidence[b].doubleValue();
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
        && Arrays.equals(incidentCount, t.incidentCount)
        && naiveFailureRows == t.naiveFailureRows && incidentRows == t.incidentRows
        && examples.equals(t.examples);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rows, evaluated, lossSum, lossFinite, correct, naiveFailureRows,
        Arrays.hashCode(incidentCount));
  }
}
