package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.function.IntToDoubleFunction;

/**
 * The accuracy bounds of the kernel, checked against {@link Reference}: softmax within 4 ulps
 * per element, log-softmax and cross-entropy within 2, logsumexp within 2 ulps of
 * {@code max(|lse|, |max logit / T|)}, and no wrong non-finite result. Float outputs are
 * checked in float ulps: computed in double and rounded once, they are within half a float ulp
 * (plus the double result's few double ulps, 2^-26 of a float ulp). Entropy: within {@link #entropyUlps}.
 *
 * <p>Public, with its measures ({@link #floatUlps}, {@link #logSumExpUlps}, {@link Reference#ulps})
 * and {@link Worst}, for the job module's tests (through the udf test-jar), which hold whole
 * commands' outputs to the same bounds.
 */
public final class Bounds {

  public static final double SOFTMAX_ULPS = 4.0;
  public static final double LOG_SOFTMAX_ULPS = 2.0;
  public static final double CROSS_ENTROPY_ULPS = 2.0;
  public static final double LOGSUMEXP_ULPS = 2.0;
  /**
   * Entropy: 8 ulps, and one more per 1024 classes, as its numerator sums C products per SIMD
   * lane without compensation (the scalar path compensates).
   */
  public static double entropyUlps(int classes) {
    return 8.0 + classes / 1024.0;
  }

  /**
   * Brier score: 4 ulps, and one more per 1024 classes, as its {@code Σ p_i^2} sums C squares
   * per SIMD lane without compensation.
   */
  public static double brierUlps(int classes) {
    return 4.0 + classes / 1024.0;
  }

  /** Entropy is checked where it is at least this: below, it is made of subnormal probabilities. */
  public static final double ENTROPY_FLOOR = 0x1p-900;

  public static final double FLOAT_OUTPUT_ULPS = 0.5 + 0x1p-20;

  private Bounds() {}

  /** Checks every output of one double row on one kernel. */
  static void assertDoubleRow(SoftmaxKernel kernel, String name, double[] x, int label,
      double t, Reference ref) {
    String where = kernel.name() + " on " + name;
    int n = x.length;
    SoftmaxRow row = new SoftmaxRow(kernel);
    double[] ls = new double[n];
    double[] sm = new double[n];
    row.logSoftmax(x, 0, n, t, ls, 0);
    assertLogSumExp(where, row.logSumExp(), ref, maxOver(x) / t);
    assertCrossEntropy(where, row.crossEntropy(label), ref.crossEntropy(label));
    assertBrier(where, row.brier(label), ref.brier(label), n);
    row.softmax(x, 0, n, t, sm, 0);
    assertElements(where, n, ref, i -> sm[i], i -> ls[i], Reference::ulps, "",
        SOFTMAX_ULPS, LOG_SOFTMAX_ULPS);
    BigDecimal exactH = ref.entropy();
    if (exactH.doubleValue() >= ENTROPY_FLOOR) {
      assertThat(Reference.ulps(row.entropy(), exactH))
          .as("%s: entropy %s, exact %s", where, row.entropy(), exactH)
          .isLessThanOrEqualTo(entropyUlps(n));
    }
  }

  /** Checks every output of one float row (its values exactly as doubles in {@code ref}). */
  static void assertFloatRow(SoftmaxKernel kernel, String name, float[] x, int label, double t,
      Reference ref) {
    String where = kernel.name() + " on float " + name;
    int n = x.length;
    SoftmaxRow row = new SoftmaxRow(kernel);
    float[] ls = new float[n];
    float[] sm = new float[n];
    row.logSoftmax(x, 0, n, t, ls, 0);
    double max = Double.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    assertLogSumExp(where, row.logSumExp(), ref, max / t);
    assertCrossEntropy(where, row.crossEntropy(label), ref.crossEntropy(label));
    assertBrier(where, row.brier(label), ref.brier(label), n);
    row.softmax(x, 0, n, t, sm, 0);
    // the values come from float arrays: the casts back are exact
    assertElements(where, n, ref, i -> sm[i], i -> ls[i], (v, e) -> floatUlps((float) v, e),
        " (float ulps)", FLOAT_OUTPUT_ULPS, FLOAT_OUTPUT_ULPS);
  }

  /** How far a computed value is from the exact one. */
  interface Ulps {
    double of(double computed, BigDecimal exact);
  }

  /**
   * Every softmax and log-softmax element: exactly 0 and -inf on masked classes, within the
   * bounds elsewhere; one message per row, for the worst element.
   */
  private static void assertElements(String where, int n, Reference ref, IntToDoubleFunction sm,
      IntToDoubleFunction ls, Ulps ulps, String unit, double smBound, double lsBound) {
    Worst worstSm = new Worst();
    Worst worstLs = new Worst();
    for (int i = 0; i < n; i++) {
      BigDecimal exactLs = ref.logSoftmax(i);
      if (exactLs == null) {
        assertThat(sm.applyAsDouble(i)).as("%s: softmax[%d] of a masked class", where, i)
            .isEqualTo(0.0);
        assertThat(ls.applyAsDouble(i)).as("%s: log_softmax[%d] of a masked class", where, i)
            .isEqualTo(Double.NEGATIVE_INFINITY);
        continue;
      }
      worstLs.offer(i, ls.applyAsDouble(i), exactLs, ulps.of(ls.applyAsDouble(i), exactLs));
      BigDecimal exactSm = ref.softmax(i);
      worstSm.offer(i, sm.applyAsDouble(i), exactSm, ulps.of(sm.applyAsDouble(i), exactSm));
    }
    worstSm.assertAtMost(where + ": softmax" + unit, smBound);
    worstLs.assertAtMost(where + ": log_softmax" + unit, lsBound);
  }

  static void assertLogSumExp(String where, double lse, Reference ref, double maxLogit) {
    BigDecimal exact = ref.logSumExp();
    assertThat(logSumExpUlps(lse, ref, maxLogit))
        .as("%s: logsumexp %s, exact %s, in ulps of max(|lse|, |max logit / T| = %s)", where,
            lse, exact, Math.abs(maxLogit))
        .isLessThanOrEqualTo(LOGSUMEXP_ULPS);
  }

  /**
   * How far a computed logsumexp is from the exact one, in ulps of {@code max(|lse|, |maxLogit|)}
   * ({@code maxLogit} the largest logit divided by T): 0 where both are the same infinity,
   * infinite where only one of them is not finite.
   */
  public static double logSumExpUlps(double lse, Reference ref, double maxLogit) {
    BigDecimal exact = ref.logSumExp();
    double rounded = exact.doubleValue();
    if (Double.isInfinite(rounded) || !Double.isFinite(lse)) {
      return lse == rounded ? 0.0 : Double.POSITIVE_INFINITY;
    }
    double scale = Math.max(Math.abs(rounded), Math.abs(maxLogit));
    return new BigDecimal(lse).subtract(exact).abs().doubleValue() / Math.ulp(scale);
  }

  static void assertCrossEntropy(String where, double ce, BigDecimal exact) {
    if (exact == null) {
      assertThat(ce).as("%s: cross-entropy of a masked label", where)
          .isEqualTo(Double.POSITIVE_INFINITY);
      return;
    }
    assertThat(Reference.ulps(ce, exact)).as("%s: cross-entropy %s, exact %s", where, ce, exact)
        .isLessThanOrEqualTo(CROSS_ENTROPY_ULPS);
  }

  static void assertBrier(String where, double brier, BigDecimal exact, int classes) {
    assertThat(Reference.ulps(brier, exact)).as("%s: Brier score %s, exact %s", where, brier,
        exact).isLessThanOrEqualTo(brierUlps(classes));
  }

  /** Like {@link Reference#ulps} for a float result, in float ulps. */
  public static double floatUlps(float computed, BigDecimal exact) {
    float rounded = exact.floatValue();
    if (Float.isInfinite(rounded) || !Float.isFinite(computed)) {
      return rounded == computed ? 0.0 : Double.POSITIVE_INFINITY;
    }
    double error = new BigDecimal(computed).subtract(exact).abs().doubleValue();
    float magnitude = Math.abs(rounded);
    if (magnitude < Float.MIN_NORMAL) {
      return error / Float.MIN_VALUE;
    }
    double ulp = Math.ulp(magnitude);
    if (exact.abs().compareTo(new BigDecimal(magnitude)) < 0
        && magnitude == Math.scalb(1.0f, Math.getExponent(magnitude))) {
      ulp /= 2;
    }
    return error / ulp;
  }

  static double maxOver(double[] x) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      m = Math.max(m, v);
    }
    return m;
  }

  /** The element with the largest error (NaN counts as the largest), for one message. */
  public static final class Worst {
    private double ulps = -1.0;
    private Object row;
    private int index = -1;
    private double computed;
    private BigDecimal exact;

    void offer(int i, double value, BigDecimal exactValue, double error) {
      offer("", i, value, exactValue, error);
    }

    /** An element {@code i} of a row named {@code row} (its text only read for the message). */
    public void offer(Object row, int i, double value, BigDecimal exactValue, double error) {
      if (!(error <= ulps)) {
        ulps = error;
        this.row = row;
        index = i;
        computed = value;
        exact = exactValue;
      }
    }

    /** The largest error offered; -1 for none. */
    public double ulps() {
      return ulps;
    }

    public void assertAtMost(String what, double bound) {
      assertThat(ulps).as("%s: worst at %s[%d]: %s, exact %s", what, row, index, computed, exact)
          .isLessThanOrEqualTo(bound);
    }
  }
}
