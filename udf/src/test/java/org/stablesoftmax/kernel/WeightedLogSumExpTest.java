package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.obermuhlner.math.big.BigDecimalMath;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code log |Σ b_i exp(x_i)|} and its sign against exact values (big-math, 50 digits): within 2
 * ulps of {@code max(|result|, |max x|)} where the weights have one sign, within the sum's
 * condition number where they cancel; and SciPy's special values.
 */
class WeightedLogSumExpTest {

  private static final MathContext MC = new MathContext(50);
  private static final BigDecimal SERIES_LIMIT = new BigDecimal("1e-4");

  /** The exact {log |S|, sign} with m = max x over b != 0, S = Σ b_i exp(x_i - m); and κ. */
  private record Exact(BigDecimal logAbs, int sign, double kappa, double maxX) {}

  private static Exact exact(double[] x, double[] b) {
    double m = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < x.length; i++) {
      if (b[i] != 0) {
        m = Math.max(m, x[i]);
      }
    }
    if (m == Double.NEGATIVE_INFINITY) {
      return new Exact(null, 0, Double.POSITIVE_INFINITY, m); // no term: a zero sum
    }
    BigDecimal a = new BigDecimal(m);
    BigDecimal s = BigDecimal.ZERO;
    BigDecimal abs = BigDecimal.ZERO;
    for (int i = 0; i < x.length; i++) {
      if (b[i] == 0 || x[i] == Double.NEGATIVE_INFINITY) {
        continue;
      }
      BigDecimal h = new BigDecimal(x[i]).subtract(a);
      if (h.compareTo(BigDecimal.valueOf(-2000)) < 0) {
        continue; // below e^-2000: nothing at 50 digits
      }
      BigDecimal term = new BigDecimal(b[i]).multiply(BigDecimalMath.exp(h, MC), MC);
      s = s.add(term, MC);
      abs = abs.add(term.abs(), MC);
    }
    BigDecimal d = s.subtract(BigDecimal.ONE);
    BigDecimal log;
    if (s.signum() == 0) {
      log = null;
    } else if (d.abs().compareTo(SERIES_LIMIT) < 0) {
      // log1p(d) by its series: big-math's log loses digits of a result near 0
      log = BigDecimal.ZERO;
      BigDecimal power = d;
      for (int n = 1; n <= 16; n++) {
        BigDecimal t = power.divide(BigDecimal.valueOf(n), MC);
        log = n % 2 == 1 ? log.add(t, MC) : log.subtract(t, MC);
        power = power.multiply(d, MC);
      }
    } else {
      log = BigDecimalMath.log(s.abs(), MC);
    }
    double kappa = s.signum() == 0 ? Double.POSITIVE_INFINITY
        : abs.divide(s.abs(), MC).doubleValue();
    return new Exact(log == null ? null : a.add(log, MC), s.signum(), kappa, m);
  }

  /** The error in ulps of max(|exact|, |max x|) (the logsumexp measure of {@link Bounds}). */
  private static double ulps(double computed, Exact e) {
    double scale = Math.max(Math.abs(e.logAbs().doubleValue()), Math.abs(e.maxX()));
    return new BigDecimal(computed).subtract(e.logAbs()).abs().doubleValue() / Math.ulp(scale);
  }

  private static double[][] row(SplittableRandom rng, boolean mixedSigns) {
    int n = 1 + rng.nextInt(rng.nextBoolean() ? 8 : 300);
    double scale = new double[] {1e-8, 1, 30, 1000, 1e6}[rng.nextInt(5)];
    double shift = rng.nextBoolean() ? 0 : rng.nextGaussian() * 1e4;
    double[] x = new double[n];
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = shift + rng.nextGaussian() * scale;
      switch (rng.nextInt(6)) {
        case 0 -> b[i] = 0.0;
        case 1 -> b[i] = 1.0;
        case 2 -> b[i] = rng.nextDouble() * 1e-3;
        default -> b[i] = rng.nextDouble() * 10;
      }
      if (mixedSigns && rng.nextBoolean()) {
        b[i] = -b[i];
      }
      if (rng.nextInt(20) == 0) {
        x[i] = Double.NEGATIVE_INFINITY;
      }
    }
    if (rng.nextInt(4) == 0 && n > 1) {
      // weights summing to about 1 on near-equal logits: a log near 0
      java.util.Arrays.fill(x, shift);
      x[0] = shift - 1e-9;
      for (int i = 0; i < n; i++) {
        b[i] = 1.0 / n;
      }
    }
    return new double[][] {x, b};
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void weightsOfOneSignAreWithinTwoUlps(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Bounds.Worst worst = new Bounds.Worst();
    WeightedLogSumExp w = new WeightedLogSumExp();
    for (int r = 0; r < 1500; r++) {
      double[][] xb = row(rng, false);
      double[] x = xb[0];
      double[] b = xb[1];
      Exact e = exact(x, b);
      w.compute(x, 0, b, 0, x.length);
      if (e.logAbs() == null) {
        assertThat(w.logAbs()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(w.sign()).isZero();
        continue;
      }
      assertThat(w.sign()).isEqualTo(1.0);
      assertThat(w.logSumExp()).isEqualTo(w.logAbs());
      worst.offer(java.util.Arrays.toString(x), r, w.logAbs(), e.logAbs(), ulps(w.logAbs(), e));
    }
    worst.assertAtMost("logsumexp with b >= 0", 2.0);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {4, 5})
  void cancellingWeightsAreWithinTheConditionNumberAndHaveTheirSign(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    WeightedLogSumExp w = new WeightedLogSumExp();
    int negative = 0;
    for (int r = 0; r < 1500; r++) {
      double[][] xb = row(rng, true);
      double[] x = xb[0];
      double[] b = xb[1];
      Exact e = exact(x, b);
      w.compute(x, 0, b, 0, x.length);
      if (e.logAbs() == null) {
        assertThat(w.sign()).isZero();
        continue;
      }
      assertThat(w.sign()).as("sign of row %d", r).isEqualTo((double) e.sign());
      negative += e.sign() < 0 ? 1 : 0;
      if (e.sign() < 0) {
        assertThat(w.logSumExp()).as("SciPy's NaN for a negative sum").isNaN();
      } else {
        assertThat(w.logSumExp()).isEqualTo(w.logAbs());
      }
      double scale = Math.max(Math.abs(e.logAbs().doubleValue()), Math.abs(e.maxX()));
      // the terms' exp each an ulp or less off: κ ulps of 1 in the log, on top of the 2 ulps
      double bound = 2 * Math.ulp(scale) + 2 * e.kappa() * Math.ulp(1.0);
      double error = new BigDecimal(w.logAbs()).subtract(e.logAbs()).abs().doubleValue();
      assertThat(error).as("row %d, κ = %s", r, e.kappa()).isLessThanOrEqualTo(bound);
    }
    assertThat(negative).as("rows with a negative sum").isGreaterThan(100);
  }

  private static double[] lse(double[] x, double[] b) {
    return StableSoftmax.logSumExpWithSign(x, b);
  }

  @Test
  void specialValuesAreSciPys() {
    double inf = Double.POSITIVE_INFINITY;
    double nan = Double.NaN;
    // a zero weight leaves its term out, whatever it holds
    assertThat(lse(new double[] {0, inf, nan}, new double[] {2, 0, 0}))
        .containsExactly(Math.log(2), 1.0);
    assertThat(lse(new double[] {nan, 0}, new double[] {1, 1})[1]).isNaN();
    assertThat(lse(new double[] {0, 0}, new double[] {nan, 1})[0]).isNaN();
    assertThat(lse(new double[] {inf, 0}, new double[] {0.5, -3})).containsExactly(inf, 1.0);
    assertThat(lse(new double[] {inf, 0}, new double[] {-0.5, 3})).containsExactly(inf, -1.0);
    assertThat(lse(new double[] {inf, inf}, new double[] {1, -1})[0]).isNaN();
    assertThat(lse(new double[] {}, new double[] {})).containsExactly(-inf, 0.0);
    assertThat(lse(new double[] {1, 2}, new double[] {0, 0})).containsExactly(-inf, 0.0);
    assertThat(lse(new double[] {-inf, -inf}, new double[] {1, -1})).containsExactly(-inf, 0.0);
    // an exact cancellation
    assertThat(lse(new double[] {3, 3}, new double[] {1, -1})).containsExactly(-inf, 0.0);
    // log(e^1 - e^0) and its sign
    double[] r = lse(new double[] {0, 1}, new double[] {1, -1});
    assertThat(r[1]).isEqualTo(-1.0);
    assertThat(r[0]).isEqualTo(exactLogAbs(new double[] {0, 1}, new double[] {1, -1}));
    assertThat(StableSoftmax.logSumExp(new double[] {0, 1}, new double[] {1, -1})).isNaN();
    // b = 1 everywhere is the plain logsumexp
    double[] x = {-3, 0.5, 7, 7};
    assertThat(StableSoftmax.logSumExp(x, new double[] {1, 1, 1, 1}))
        .isEqualTo(exactLogAbs(x, new double[] {1, 1, 1, 1}));
    assertThat(lse(new double[] {0}, new double[] {inf})).containsExactly(inf, 1.0);
    assertThatThrownBy(() -> StableSoftmax.logSumExp(new double[] {1}, new double[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b");
  }

  private static double exactLogAbs(double[] x, double[] b) {
    return exact(x, b).logAbs().doubleValue();
  }
}
