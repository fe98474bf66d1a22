package org.stablesoftmax.kernel;

import ch.obermuhlner.math.big.BigDecimalMath;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Exact values, to 50 significant digits with big-math, of the kernel's functions on one row of
 * doubles that holds no NaN and no {@code +inf} and is not all {@code -inf}. Doubles convert to
 * BigDecimal exactly, so {@code x_i - a} is exact; only {@code / T}, {@code exp}, {@code log}
 * and divisions round, far below a double's precision.
 *
 * <p>With {@code k} the first index of the maximum, {@code s = Σ_{i≠k} exp(z_i)} is kept apart
 * from the leading 1, so that {@code log1p(s)} is exact to 50 digits even where {@code s} is
 * 1e-300. Terms below e^-2000 count as 0.
 *
 * <p>Public for the job module's tests (through the udf test-jar), which check the outputs of
 * whole commands against it.
 */
public final class Reference {

  static final MathContext MC = new MathContext(50, RoundingMode.HALF_EVEN);
  /** A term more than e^160 below the largest term of s changes none of its 50 digits. */
  private static final BigDecimal NEGLIGIBLE_GAP = BigDecimal.valueOf(160);
  /**
   * Terms below e^-2000 are taken as 0: then s < C e^-2000, and every result moves by less than
   * that, far below the least subnormal (e^-744).
   */
  private static final BigDecimal BEYOND_DOUBLE = BigDecimal.valueOf(-2000);
  /** exp below this is under 2^-1100: it rounds to 0 as a double. */
  private static final BigDecimal ZERO_AS_DOUBLE = BigDecimal.valueOf(-765);
  private static final BigDecimal SERIES_LIMIT = new BigDecimal("1e-4");

  private final int len;
  private final BigDecimal[] z;
  private final BigDecimal[] p;
  /** exp(z_i), where it counts in s; 1 at k. */
  private final BigDecimal[] e;
  private final int k;
  private final BigDecimal s;
  private final BigDecimal onePlusS;
  private final BigDecimal log1pS;
  private final BigDecimal lse;

  public Reference(double[] x, double temperature) {
    len = x.length;
    int k = -1;
    for (int i = 0; i < len; i++) {
      double v = x[i];
      if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("reference rows are finite or -inf");
      }
      if (v != Double.NEGATIVE_INFINITY && (k < 0 || v > x[k])) {
        k = i;
      }
    }
    if (k < 0) {
      throw new IllegalArgumentException("reference rows are not all -inf");
    }
    BigDecimal a = new BigDecimal(x[k]);
    BigDecimal t = new BigDecimal(temperature);
    z = new BigDecimal[len];
    BigDecimal secondLargest = null;
    for (int i = 0; i < len; i++) {
      if (x[i] == Double.NEGATIVE_INFINITY) {
        continue; // null: a masked class
      }
      z[i] = new BigDecimal(x[i]).subtract(a).divide(t, MC);
      if (i != k && (secondLargest == null || z[i].compareTo(secondLargest) > 0)) {
        secondLargest = z[i];
      }
    }
    this.k = k;
    p = new BigDecimal[len];
    e = new BigDecimal[len];
    BigDecimal s = BigDecimal.ZERO;
    if (secondLargest != null) {
      BigDecimal floor = secondLargest.subtract(NEGLIGIBLE_GAP).max(BEYOND_DOUBLE);
      for (int i = 0; i < len; i++) {
        if (i != k && z[i] != null && z[i].compareTo(floor) > 0) {
          e[i] = BigDecimalMath.exp(z[i], MC);
          s = s.add(e[i], MC);
        }
      }
    }
    e[k] = BigDecimal.ONE;
    this.s = s;
    onePlusS = BigDecimal.ONE.add(s); // exact
    log1pS = log1p(s);
    lse = a.divide(t, MC).add(log1pS, MC);
    for (int i = 0; i < len; i++) {
      if (e[i] != null) {
        p[i] = e[i].divide(onePlusS, MC);
      }
    }
  }

  private static BigDecimal log1p(BigDecimal s) {
    if (s.compareTo(SERIES_LIMIT) >= 0) {
      return BigDecimalMath.log(BigDecimal.ONE.add(s), MC);
    }
    // s - s^2/2 + s^3/3 - ...: relative to s, term n is below 1e-4^(n-1)
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal power = s;
    for (int n = 1; n <= 14; n++) {
      BigDecimal term = power.divide(BigDecimal.valueOf(n), MC);
      sum = (n % 2 == 1) ? sum.add(term, MC) : sum.subtract(term, MC);
      power = power.multiply(s, MC);
    }
    return sum;
  }

  public BigDecimal logSumExp() {
    return lse;
  }

  /** null where the class is masked (the result is -inf). */
  public BigDecimal logSoftmax(int i) {
    return z[i] == null ? null : z[i].subtract(log1pS, MC);
  }

  /** null where the class is masked; ZERO where it rounds to 0 as a double. */
  public BigDecimal softmax(int i) {
    if (z[i] == null) {
      return null;
    }
    if (p[i] == null) {
      BigDecimal ls = logSoftmax(i);
      p[i] = ls.compareTo(ZERO_AS_DOUBLE) < 0 ? BigDecimal.ZERO : BigDecimalMath.exp(ls, MC);
    }
    return p[i];
  }

  /** {@code 1 - softmax_i}, without the cancellation: {@code (1 + s - exp(z_i)) / (1 + s)}. */
  BigDecimal complement(int i) {
    if (i == k) {
      return s.divide(onePlusS, MC);
    }
    if (e[i] == null) {
      return softmax(i) == null ? BigDecimal.ONE : BigDecimal.ONE.subtract(softmax(i), MC);
    }
    return onePlusS.subtract(e[i]).divide(onePlusS, MC);
  }

  /** null where the label is masked (the result is +inf). */
  public BigDecimal crossEntropy(int label) {
    BigDecimal ls = logSoftmax(label);
    return ls == null ? null : ls.negate();
  }

  /** {@code Σ_i (p_i - [i = label])^2}, the multiclass Brier score. */
  public BigDecimal brier(int label) {
    BigDecimal miss = complement(label);
    BigDecimal b = miss.multiply(miss, MC);
    for (int i = 0; i < len; i++) {
      BigDecimal pi = softmax(i);
      if (i != label && pi != null) {
        b = b.add(pi.multiply(pi, MC), MC);
      }
    }
    return b;
  }

  /** {@code Σ p_i (-log p_i)}. */
  public BigDecimal entropy() {
    BigDecimal h = BigDecimal.ZERO;
    for (int i = 0; i < len; i++) {
      BigDecimal pi = softmax(i);
      if (pi != null && pi.signum() != 0) {
        h = h.subtract(pi.multiply(logSoftmax(i), MC), MC);
      }
    }
    return h;
  }

  /**
   * {@code |computed - exact|} in units of the last place of the exact value's binade; for
   * results below the normal range, in units of the least subnormal. Infinite where the computed
   * value is not finite but the exact one rounds to a finite double, or the other way round; 0
   * where both round to the same infinity.
   */
  public static double ulps(double computed, BigDecimal exact) {
    double rounded = exact.doubleValue();
    if (Double.isInfinite(rounded) || Double.isInfinite(computed) || Double.isNaN(computed)) {
      return rounded == computed ? 0.0 : Double.POSITIVE_INFINITY;
    }
    return new BigDecimal(computed).subtract(exact).abs().doubleValue() / ulpOf(exact);
  }

  /** The last place of the exact value's binade (the least subnormal below the normal range). */
  public static double ulpOf(BigDecimal exact) {
    double magnitude = Math.abs(exact.doubleValue());
    if (magnitude < Double.MIN_NORMAL) {
      return Double.MIN_VALUE;
    }
    double ulp = Math.ulp(magnitude);
    if (exact.abs().compareTo(new BigDecimal(magnitude)) < 0
        && magnitude == Math.scalb(1.0, Math.getExponent(magnitude))) {
      ulp /= 2; // rounded up to a power of two: the exact value lies in the binade below
    }
    return ulp;
  }
}
