package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mean and variance of a row's logits under its softmax (the derivatives of temperature
 * scaling), against their exact values from the high-precision reference's probabilities.
 */
class LogitMomentsTest {

  private static final MathContext MC = new MathContext(60);

  @ParameterizedTest(name = "C={0}")
  @ValueSource(ints = {1, 2, 3, 10, 128, 1000})
  void meanAndVarianceAreThoseOfTheExactSoftmax(int size) {
    SplittableRandom rng = new SplittableRandom(size);
    double[] out = new double[2];
    SoftmaxRow row = new SoftmaxRow();
    for (double t : new double[] {1.0, 0.3, 4.0}) {
      for (double spread : new double[] {0.5, 3, 40}) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
          x[i] = rng.nextGaussian() * spread + 7;
        }
        if (size > 2) {
          x[1] = Double.NEGATIVE_INFINITY; // a masked class adds nothing
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
        double scale = 0;
        for (int i = 0; i < size; i++) {
          BigDecimal p = ref.softmax(i);
          if (p != null && p.signum() != 0) {
            BigDecimal u = new BigDecimal(x[i]).subtract(mean);
            variance = variance.add(p.multiply(u.multiply(u, MC), MC), MC);
            scale = Math.max(scale, Math.abs(x[i] - x[0]) + Math.abs(x[0] - 7) + 7);
          }
        }
        row.analyze(x, 0, size, t);
        row.logitMoments(out);
        // the mean: within (C + 8) ulps of the logits' scale (each term's p within a few ulps,
        // each difference rounded once, the terms of one sign); the variance, a sum of positive
        // terms whose first-order error from the mean vanishes: within (C + 16) ulps of itself
        String where = "C=" + size + " T=" + t + " spread=" + spread;
        double errMean = new BigDecimal(out[0]).subtract(mean).abs().doubleValue();
        assertThat(errMean).as(where).isLessThanOrEqualTo((size + 8) * Math.ulp(scale));
        double errVar = new BigDecimal(out[1]).subtract(variance).abs().doubleValue();
        double v = variance.doubleValue();
        assertThat(errVar).as(where + ", variance " + v).isLessThanOrEqualTo(
            (size + 16) * Math.ulp(v));
      }
    }
  }
}
