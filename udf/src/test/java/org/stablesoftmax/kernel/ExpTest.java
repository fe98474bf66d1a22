package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import ch.obermuhlner.math.big.BigDecimalMath;
import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The kernel's own exp: accurate, and the same bits in the vector lanes as in scalar code. */
class ExpTest {

  @Test
  void withinSixTenthsOfAnUlpAndOneSubnormalUlpBelow() {
    SplittableRandom rng = new SplittableRandom(17);
    double worst = 0;
    for (int j = 0; j < 20_000; j++) {
      double q;
      switch (j % 4) {
        case 0:
          q = -rng.nextDouble() * 745.2; // everything, subnormal results included
          break;
        case 1:
          q = -rng.nextDouble() * 2; // near 1
          break;
        case 2:
          q = -Math.pow(10, rng.nextDouble(-20, 0)); // tiny arguments
          break;
        default:
          q = -Math.rint(rng.nextDouble() * 1000) * Math.log(2) * 0.5; // near k ln2 / 2
          break;
      }
      double got = Exp.exp(q);
      BigDecimal exact = BigDecimalMath.exp(new BigDecimal(q), Reference.MC);
      double ulps = Reference.ulps(got, exact);
      if (got < Double.MIN_NORMAL) {
        // rounded twice, to 53 bits and then to the subnormal grid
        assertThat(ulps).as("exp(%s) = %s, exact %s", q, got, exact).isLessThanOrEqualTo(1.0);
        continue;
      }
      worst = Math.max(worst, ulps);
      assertThat(ulps).as("exp(%s) = %s, exact %s", q, got, exact).isLessThanOrEqualTo(0.6);
    }
    assertThat(worst).isGreaterThan(0.4); // the test reaches rounding cases
  }

  @Test
  void specialArguments() {
    assertThat(Exp.exp(0.0)).isEqualTo(1.0);
    assertThat(Exp.exp(-0.0)).isEqualTo(1.0);
    assertThat(Exp.exp(Double.NEGATIVE_INFINITY)).isZero();
    assertThat(Exp.exp(-746.0)).isZero();
    assertThat(Exp.exp(-1e300)).isZero();
    assertThat(Exp.exp(Double.NaN)).isNaN();
    assertThat(Exp.exp(-745.13)).isEqualTo(Double.MIN_VALUE);
  }

  @Test
  void vectorLanesGiveTheSameBitsAsScalarCode() {
    SplittableRandom rng = new SplittableRandom(18);
    int n = 1 << 16;
    double[] q = new double[n];
    for (int i = 0; i < n; i++) {
      q[i] = i % 97 == 0 ? Double.NEGATIVE_INFINITY
          : i % 89 == 0 ? Double.NaN
          : i % 83 == 0 ? -0.0
          : -rng.nextDouble() * (i % 2 == 0 ? 760 : 3);
    }
    // the kernel's exp pass stores exp(x - 0) for a row whose maximum is 0
    q[0] = 0.0;
    double[] vector = new double[n];
    double[] scalar = new double[n];
    PassState state = new PassState();
    for (int round = 0; round < 20; round++) { // interpreted, then compiled
      Kernels.SIMD.expSum(q, 0, n, 0.0, 0, 1.0, vector, 0, state);
      for (int i = 0; i < n; i++) {
        scalar[i] = Exp.exp(q[i]);
      }
      for (int i = 0; i < n; i++) {
        assertThat(Double.doubleToLongBits(vector[i]))
            .as("round %d: exp(%s): %s against %s", round, q[i], vector[i], scalar[i])
            .isEqualTo(Double.doubleToLongBits(scalar[i]));
      }
    }
  }
}
