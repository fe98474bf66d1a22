package org.stablesoftmax.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;

/**
 * An exact, mergeable histogram of the evaluated rows' losses over fixed log-spaced bins: integer
 * row counts only, so a merge of the partitions' histograms is the same, to the bit, whatever the
 * partitioning, the engine or the order of the merges.
 *
 * <p>The bins: {@link #BINS} bins of a quarter decade, bin {@code i} holding
 * {@code [edge(i), edge(i + 1))} with {@code edge(k)} the double nearest {@code 10^(k/4 - 6)}, so
 * from {@code 1e-6} up to {@code 1e4} (the edges at whole decades are the doubles {@code 1e-6},
 * {@code 1e-5}, ..., {@code 1e4} themselves). Apart from them: a loss of exactly 0 ({@code zero}),
 * one in (0, 1e-6) ({@code below}), one of at least 1e4 ({@code above}), a negative one (possible
 * only with negative class weights), {@code +inf} (a masked label), {@code -inf} and NaN. Every
 * evaluated row with a label falls in exactly one, whatever its sample weight.
 *
 * <p>An empty histogram (all counts 0) is the identity of {@link #merge}. Not thread-safe.
 */
public final class LossHistogram implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Quarter decades from 1e-6 to 1e4. */
  public static final int BINS = 40;
  /** The exponent of 10 of the first edge. */
  public static final int FIRST_DECADE = -6;
  private static final double[] EDGES = edges();

  /** The counts apart from the bins, in this order. */
  public enum Outside { ZERO, BELOW, ABOVE, NEGATIVE, POSITIVE_INFINITY, NEGATIVE_INFINITY, NAN }

  private final long[] bins = new long[BINS];
  private final long[] outside = new long[Outside.values().length];

  /**
   * The {@link #BINS} + 1 edges: the double nearest 10^(k/4 - 6), from 10^(k/4) computed as
   * 10^floor(k/4) times the fourth root of 10 to the (k mod 4), in 40 digits, rounded once.
   */
  private static double[] edges() {
    MathContext mc = new MathContext(40);
    BigDecimal root = BigDecimal.TEN.sqrt(mc).sqrt(mc);
    double[] e = new double[BINS + 1];
    for (int k = 0; k <= BINS; k++) {
      BigDecimal decade = BigDecimal.ONE.scaleByPowerOfTen(FIRST_DECADE + Math.floorDiv(k, 4));
      e[k] = decade.multiply(root.pow(Math.floorMod(k, 4), mc), mc).doubleValue();
    }
    return e;
  }

  /** The lower edge of bin {@code k} (the upper edge of bin {@code k - 1}), 0 to {@link #BINS}. */
  public static double edge(int k) {
    return EDGES[k];
  }

  /** Counts one row's loss. */
  public void add(double loss) {
    if (loss >= EDGES[0] && loss < EDGES[BINS]) {
      // the last edge <= loss
      int at = Arrays.binarySearch(EDGES, loss);
      bins[at >= 0 ? at : -at - 2]++;
    } else {
      outside[outside(loss).ordinal()]++;
    }
  }

  private static Outside outside(double loss) {
    if (Double.isNaN(loss)) {
      return Outside.NAN;
    } else if (loss == Double.POSITIVE_INFINITY) {
      return Outside.POSITIVE_INFINITY;
    } else if (loss == Double.NEGATIVE_INFINITY) {
      return Outside.NEGATIVE_INFINITY;
    } else if (loss < 0) {
      return Outside.NEGATIVE;
    } else if (loss == 0) {
      return Outside.ZERO;
    }
    return loss < EDGES[0] ? Outside.BELOW : Outside.ABOVE;
  }

  /** Adds {@code other}'s counts into this one; {@code other} is unchanged. */
  public LossHistogram merge(LossHistogram other) {
    if (other == this) {
      throw new IllegalArgumentException("cannot merge a LossHistogram with itself");
    }
    for (int i = 0; i < BINS; i++) {
      bins[i] += other.bins[i];
    }
    for (int i = 0; i < outside.length; i++) {
      outside[i] += other.outside[i];
    }
    return this;
  }

  /** The rows per bin, {@link #BINS} of them. */
  public long[] counts() {
    return bins.clone();
  }

  /** The rows counted apart from the bins, of this kind. */
  public long count(Outside kind) {
    return outside[kind.ordinal()];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LossHistogram h && Arrays.equals(bins, h.bins)
        && Arrays.equals(outside, h.outside);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(bins) + Arrays.hashCode(outside);
  }
}
