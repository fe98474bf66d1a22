package org.stablesoftmax.stats;

import java.math.BigDecimal;
import java.util.Arrays;

/**
 * Equal-mass calibration bins cut from a {@link ConfidenceHistogram}, for the adaptive
 * calibration error of Nixon et al. (2019), "Measuring Calibration in Deep Learning", over the
 * top-label confidence: their reference code's {@code GeneralCalibrationError(binning_scheme=
 * 'adaptive', max_prob=True, class_conditional=False, norm='l1')}.
 *
 * <p>Bins are cut at key boundaries, never inside a key: a key goes whole to one bin. Without
 * weights, to the bin of its last row in the sorted order, as in the reference code, whose upper
 * edges are the sorted confidences at ranks {@code round(b N / R)} ({@code b = 1 .. R - 1}, the
 * ranks at most {@code N - 1}) and whose bins hold {@code edge_b <= p < edge_(b+1)}
 * ({@code numpy.digitize}): the key of last rank {@code r} goes to the largest {@code b} with
 * {@code min(round(b N / R), N - 1) <= r}. Where every key holds a single confidence value this
 * is the reference's binning exactly; where a key holds several, the bins' edges move to the
 * key's edges. With weights, a key goes to the largest {@code b} with {@code b W / R < C}, where
 * {@code C} is the exact weight up to and including the key and {@code W} the total: the bin that
 * holds the key's last piece of weight.
 *
 * <p>Ties, and keys whose mass spans several bins' worth (e.g. most rows at exactly 1.0, a
 * float32-saturated softmax), are not split: the bins they span are left empty, and the error
 * sums over the bins that hold rows, as the reference code does.
 *
 * <p>Every per-bin value is an exact sum rounded once, so the bins are the same to the bit
 * whatever the partitioning.
 */
public final class AdaptiveBins {

  /** Rows per bin. */
  public final long[] rows;
  /** The (weighted) row count per bin, as the exact sum rounded once. */
  public final double[] weight;
  /** The (weighted) count of correct top-1 predictions per bin, rounded once. */
  public final double[] correct;
  /** The (weighted) sum of the confidences per bin, rounded once. */
  public final double[] confidence;
  /** The smallest and the largest confidence per bin; NaN for an empty bin. */
  public final double[] from;
  public final double[] to;

  private AdaptiveBins(int bins) {
    rows = new long[bins];
    weight = new double[bins];
    correct = new double[bins];
    confidence = new double[bins];
    from = new double[bins];
    to = new double[bins];
    Arrays.fill(from, Double.NaN);
    Arrays.fill(to, Double.NaN);
  }

  /** Cuts {@code histogram} into {@code bins >= 1} bins of (nearly) equal mass. */
  public static AdaptiveBins of(ConfidenceHistogram histogram, int bins) {
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be >= 1, got " + bins);
    }
    AdaptiveBins out = new AdaptiveBins(bins);
    int[] slots = histogram.sortedSlots();
    long n = 0;
    BigDecimal total = BigDecimal.ZERO;
    for (int s : slots) {
      n += histogram.count(s);
      if (histogram.weighted()) {
        total = total.add(histogram.weight(s));
      }
    }
    ExactSum[] weight = new ExactSum[bins];
    ExactSum[] correct = new ExactSum[bins];
    ExactSum[] confidence = new ExactSum[bins];
    for (int b = 0; b < bins; b++) {
      weight[b] = new ExactSum();
      correct[b] = new ExactSum();
      confidence[b] = new ExactSum();
    }
    BigDecimal through = BigDecimal.ZERO;
    long rank = -1;
    int b = 0;
    for (int s : slots) {
      rank += histogram.count(s);
      if (histogram.weighted()) {
        through = through.add(histogram.weight(s));
        BigDecimal bound = through.multiply(BigDecimal.valueOf(bins));
        // the largest b with b W < R C (the bins only move up, as C does)
        while (b + 1 < bins && total.multiply(BigDecimal.valueOf(b + 1))
            .compareTo(bound) < 0) {
          b++;
        }
      } else {
        while (b + 1 < bins && Math.min(roundedRank(b + 1, n, bins), n - 1) <= rank) {
          b++;
        }
      }
      out.rows[b] += histogram.count(s);
      histogram.addWeight(s, weight[b]);
      histogram.addCorrect(s, correct[b]);
      histogram.addConfidence(s, confidence[b]);
      out.from[b] = Double.isNaN(out.from[b]) ? histogram.min(s) : out.from[b];
      out.to[b] = histogram.max(s);
    }
    for (int i = 0; i < bins; i++) {
      out.weight[i] = weight[i].doubleValue();
      out.correct[i] = correct[i].doubleValue();
      out.confidence[i] = confidence[i].doubleValue();
    }
    return out;
  }

  /** {@code round(b n / bins)}, half to even as numpy rounds, exactly. */
  static long roundedRank(int b, long n, int bins) {
    long p = Math.multiplyExact(n, (long) b);
    long q = p / bins;
    long twice = 2 * (p % bins);
    return twice > bins || (twice == bins && (q & 1) == 1) ? q + 1 : q;
  }
}
