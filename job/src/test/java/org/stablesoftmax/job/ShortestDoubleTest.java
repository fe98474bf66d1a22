package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShortestDoubleTest {

  @Test
  void readsBackToTheSameBitsWithNoShorterTextPossible() {
    SplittableRandom rng = new SplittableRandom(7);
    for (int n = 0; n < 200_000; n++) {
      double d = n % 2 == 0 ? Double.longBitsToDouble(rng.nextLong())
          : rng.nextDouble() * Math.pow(10, rng.nextInt(-30, 30));
      if (!Double.isFinite(d)) {
        continue;
      }
      String s = ShortestDouble.of(d);
      assertThat(Double.doubleToRawLongBits(Double.parseDouble(s))).as(s)
          .isEqualTo(Double.doubleToRawLongBits(d));
      // no decimal with one digit fewer reads back: not the one below d nor the one above
      int digits = new BigDecimal(s).stripTrailingZeros().precision();
      if (digits > 1) {
        for (RoundingMode mode : new RoundingMode[] {RoundingMode.FLOOR, RoundingMode.CEILING}) {
          double shorter =
              new BigDecimal(d).round(new MathContext(digits - 1, mode)).doubleValue();
          assertThat(shorter).as(s).isNotEqualTo(d);
        }
      }
    }
  }

  @Test
  void knownValues() {
    assertThat(ShortestDouble.of(1.0E23)).isEqualTo("1.0E23");
    assertThat(ShortestDouble.of(2e-3)).isEqualTo("0.002");
    assertThat(Double.toString(Double.MIN_VALUE)).as("Java 17, not the shortest")
        .isEqualTo("4.9E-324");
    assertThat(ShortestDouble.of(Double.MIN_VALUE)).isEqualTo("5.0E-324");
    assertThat(ShortestDouble.of(2.40760596444438)).isEqualTo("2.40760596444438");
    assertThat(ShortestDouble.of(100.0)).isEqualTo("100.0");
    assertThat(ShortestDouble.of(-0.0)).isEqualTo("-0.0");
    assertThat(ShortestDouble.of(Double.NaN)).isNull();
    assertThat(ShortestDouble.of(-1.5e300)).isEqualTo("-1.5E300");
  }
}
