package org.stablesoftmax.stats;

import ch.obermuhlner.math.big.BigDecimalMath;
import java.math.BigDecimal;
import java.math.MathContext;
import org.stablesoftmax.stats.LossHistogram.Outside;

/** The tests' own loss histogram: its edges computed another way, and a plain scan of them. */
public final class LossHistogramReference {

  private LossHistogramReference() {}

  /**
   * The reference edges: 10^(k/4 - 6) by big-math's pow in 50 digits, rounded to a double once
   * (not the product's square roots).
   */
  public static double[] edges() {
    MathContext mc = new MathContext(50);
    double[] e = new double[LossHistogram.BINS + 1];
    for (int k = 0; k < e.length; k++) {
      e[k] = BigDecimalMath.pow(BigDecimal.TEN, new BigDecimal(k).divide(BigDecimal.valueOf(4))
          .subtract(BigDecimal.valueOf(6)), mc).doubleValue();
    }
    return e;
  }

  /** Where the reference puts a loss: a bin index, or an {@link Outside} kind. */
  public static Object place(double[] edges, double loss) {
    if (Double.isNaN(loss)) {
      return Outside.NAN;
    }
    if (loss == Double.POSITIVE_INFINITY) {
      return Outside.POSITIVE_INFINITY;
    }
    if (loss == Double.NEGATIVE_INFINITY) {
      return Outside.NEGATIVE_INFINITY;
    }
    if (loss < 0) {
      return Outside.NEGATIVE;
    }
    if (loss == 0) {
      return Outside.ZERO;
    }
    if (loss < edges[0]) {
      return Outside.BELOW;
    }
    for (int i = 0; i < LossHistogram.BINS; i++) {
      if (loss < edges[i + 1]) {
        return i;
      }
    }
    return Outside.ABOVE;
  }

  /** The reference's rows per bin and per {@link Outside} kind (by ordinal). */
  public record Counts(long[] bins, long[] outside) {}

  /** Counts {@code losses} by {@link #place}. */
  public static Counts count(Iterable<Double> losses) {
    double[] edges = edges();
    long[] bins = new long[LossHistogram.BINS];
    long[] outside = new long[Outside.values().length];
    for (double loss : losses) {
      Object place = place(edges, loss);
      if (place instanceof Integer i) {
        bins[i]++;
      } else {
        outside[((Outside) place).ordinal()]++;
      }
    }
    return new Counts(bins, outside);
  }
}
