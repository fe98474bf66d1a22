package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The derivatives in 1/T of a row's cross-entropy, E_p[x] - x_y and Var_p[x] (those of
 * temperature scaling), against their exact values from the high-precision reference's
 * probabilities; also where the label takes nearly all the mass, so the first is far below an
 * ulp of the logits.
 */
class TemperatureDerivativesTest {

  private static final MathContext MC = new MathContext(60);

  @ParameterizedTest(name = "C={0}")
  @ValueSource(ints = {1, 2, 3, 10, 128, 1000})
  void theDerivativesAreThoseOfTheExactSoftmax(int size) {
    SplittableRandom rng = new SplittableRandom(size);
    double[] out = new double[2];
    SoftmaxRow row = new SoftmaxRow();
    for (double t : new double[] {1.0, 0.3, 4.0, 0.5}) {
      for (double spread : new double[] {0.5, 3, 40}) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
          x[i] = rng.nextGaussian() * spread + 7;
        }
        if (size > 2) {
          x[1] = Double.NEGATIVE_INFINITY; // a masked class adds nothing
        }
        int label = size > 2 ? 2 : 0;
        if (t == 0.5 && size > 1) {
          // nearly all the mass on the label: E_p[x] - x_y about -1e-16, below an ulp of x_y
          double others = Double.NEGATIVE_INFINITY;
          for (int i = 0; i < size; i++) {
            others = i == label ? others : Math.max(others, x[i]);
          }
          x[label] = others + 20;
        }
        Reference ref = new Reference(x, t);
        BigDecimal mean = BigDecimal.ZERO;
        for (int i = 0; i < size; i++) {
          BigDecimal p = ref.softmax(i);
          if (p != null && p.signum() != 0) {
            mean = mean.add(p.multiply(new BigDecimal(x[i]), MC), MC);
          }
        }
        BigDecimal variance = BigDecimal.ZERO;
        for (int i = 0; i < size; i++) {
          BigDecimal p = ref.softmax(i);
          if (p != null && p.signum() != 0) {
            BigDecimal u = new BigDecimal(x[i]).subtract(mean);
            variance = variance.add(p.multiply(u.multiply(u, MC), MC), MC);
          }
        }
        row.analyze(x, 0, size, t);
        row.temperatureDerivatives(label, out);
        // the first: within (C + 8) ulps of its own scale, Σ p_i |x_i - m| + |m - x_y| (each
        // term's p within a few ulps, each difference about the largest logit m exact or
        // rounded once); the variance, a sum of positive terms whose first-order error from
        // the mean vanishes: within (C + 16) ulps of itself
        String where = "C=" + size + " T=" + t + " spread=" + spread;
        BigDecimal g = mean.subtract(new BigDecimal(x[label]));
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
          max = Math.max(max, v);
        }
        BigDecimal gScale = new BigDecimal(max).subtract(new BigDecimal(x[label])).abs();
        for (int i = 0; i < size; i++) {
          BigDecimal p = ref.softmax(i);
          if (p != null && p.signum() != 0) {
            gScale = gScale.add(p.multiply(new BigDecimal(max).subtract(new BigDecimal(x[i]))
                .abs(), MC), MC);
          }
        }
        double errG = new BigDecimal(out[0]).subtract(g).abs().doubleValue();
        assertThat(errG).as(where + ", derivative " + g.doubleValue()).isLessThanOrEqualTo(
            (size + 8) * Math.ulp(gScale.doubleValue()));
        double errVar = new BigDecimal(out[1]).subtract(variance).abs().doubleValue();
        double v = variance.doubleValue();
        assertThat(errVar).as(where + ", variance " + v).isLessThanOrEqualTo(
            (size + 16) * Math.ulp(v));
      }
    }
  }

  @Test
  void aMaskedLabelHasAnInfiniteSlopeAndABadRowNone() {
    double[] out = new double[2];
    SoftmaxRow row = new SoftmaxRow();
    row.analyze(new double[] {1, Double.NEGATIVE_INFINITY, 2}, 0, 3, 1.0);
    row.temperatureDerivatives(1, out);
    assertThat(out[0]).isEqualTo(Double.POSITIVE_INFINITY);
    row.analyze(new double[] {1, Double.NaN, 2}, 0, 3, 1.0);
    row.temperatureDerivatives(0, out);
    assertThat(out).containsExactly(Double.NaN, Double.NaN);
  }
}
