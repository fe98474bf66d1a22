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
 * sum of entropies, a calibration histogram, and per incident kind a count and the smallest
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
  /** Calibration bins over the top probability, [0, 1/15), ..., [14/15, 1]. */
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
  private final long[] binCount = new long[BINS];
  private final long[] binCorrect = new long[BINS];
  private final ExactSum[] binConfidence = new ExactSum[BINS];
  // over all rows
  private final long[] incidentCount = new long[KINDS];
  private long naiveFailureRows;
  private long incidentRows;
  private final List<List<RowId>> examples = new ArrayList<>(KINDS);

  public PartitionStats() {
    for (int b = 0; b < BINS; b++) {
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
   * whether the top-1 and top-k predictions hold the label (false without a label), the entropy
   * and the top probability.
   */
  public void evaluated(double loss, boolean top1, boolean topK, double entropy,
      double maxProbability) {
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
      int b = Math.min(BINS - 1, (int) (maxProbability * BINS));
      binCount[b]++;
      binConfidence[b].add(maxProbability);
      if (top1) {
        binCorrect[b]++;
      }
    }
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
    for (int b = 0; b < BINS; b++) {
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
    double[] out = new double[BINS];
    for (int b = 0; b < BINS; b++) {
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
        && entropyFinite == t.entropyFinite && Arrays.equals(binCount, t.binCount)
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
