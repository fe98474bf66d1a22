package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The superaccumulator against BigDecimal's exact sums, in any order and any split. */
class ExactSumTest {

  /** Values of every magnitude and sign, subnormals and cancelling pairs included. */
  private static List<Double> values(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      switch (rng.nextInt(5)) {
        case 0:
          out.add(rng.nextDouble(-1, 1) * Math.pow(2, rng.nextInt(-1074, 1024)));
          break;
        case 1:
          out.add(Double.longBitsToDouble(rng.nextLong(1L << 52)) * (rng.nextBoolean() ? 1 : -1));
          break;
        case 2: {
          double v = rng.nextDouble() * 1e300;
          out.add(v);
          out.add(-v);
          break;
        }
        default:
          out.add(rng.nextGaussian() * 10);
      }
    }
    return out;
  }

  private static BigDecimal exact(List<Double> values) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v));
    }
    return sum;
  }

  private static ExactSum sum(List<Double> values) {
    ExactSum s = new ExactSum();
    for (double v : values) {
      s.add(v);
    }
    return s;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void equalsTheExactSumRoundedOnce(long seed) {
    List<Double> values = values(seed, 2000);
    ExactSum s = sum(values);
    assertThat(s.finiteValue().compareTo(exact(values))).isZero();
    assertThat(s.doubleValue()).isEqualTo(exact(values).doubleValue());
  }

  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13})
  void isTheSameInAnyOrderAndAnySplit(long seed) {
    List<Double> values = values(seed, 3000);
    ExactSum whole = sum(values);
    List<Double> shuffled = new ArrayList<>(values);
    Collections.shuffle(shuffled, new Random(seed));
    ExactSum merged = new ExactSum();
    int parts = 17;
    for (int p = 0; p < parts; p++) {
      merged.add(sum(shuffled.subList(p * shuffled.size() / parts,
          (p + 1) * shuffled.size() / parts)));
    }
    assertThat(merged).isEqualTo(whole);
    assertThat(Double.doubleToLongBits(merged.doubleValue()))
        .isEqualTo(Double.doubleToLongBits(whole.doubleValue()));
  }

  @Test
  void plainDoubleSummationWouldDiffer() {
    // the test data is hard enough that naive summation in two orders disagrees
    List<Double> values = values(21, 3000);
    double forward = 0;
    for (double v : values) {
      forward += v;
    }
    assertThat(forward).isNotEqualTo(sum(values).doubleValue());
  }

  @Test
  void cancellationAndTheEdgesOfTheRange() {
    ExactSum s = new ExactSum();
    s.add(1e308);
    s.add(1.0);
    s.add(-1e308);
    assertThat(s.doubleValue()).isEqualTo(1.0);
    ExactSum big = new ExactSum();
    big.add(Double.MAX_VALUE);
    big.add(Double.MAX_VALUE);
    assertThat(big.doubleValue()).as("overflows as IEEE addition").isInfinite();
    big.add(-Double.MAX_VALUE);
    assertThat(big.doubleValue()).isEqualTo(Double.MAX_VALUE);
    ExactSum tiny = new ExactSum();
    tiny.add(Double.MIN_VALUE);
    tiny.add(Double.MIN_VALUE);
    assertThat(tiny.doubleValue()).isEqualTo(2 * Double.MIN_VALUE);
    tiny.add(-3 * Double.MIN_VALUE);
    assertThat(tiny.doubleValue()).isEqualTo(-Double.MIN_VALUE);
    assertThat(new ExactSum().doubleValue()).isEqualTo(0.0);
    assertThat(tiny.finiteValue()).isEqualByComparingTo(
        new BigDecimal(Double.MIN_VALUE).negate(new MathContext(0)));
  }

  @Test
  void infinitiesAndNaNGiveTheIeeeResult() {
    ExactSum s = new ExactSum();
    s.add(1.0);
    s.add(Double.POSITIVE_INFINITY);
    assertThat(s.doubleValue()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(s.isFinite()).isFalse();
    s.add(Double.NEGATIVE_INFINITY);
    assertThat(s.doubleValue()).isNaN();
    ExactSum n = new ExactSum();
    n.add(Double.NaN);
    assertThat(n.doubleValue()).isNaN();
    assertThat(n.finiteValue()).isEqualByComparingTo(BigDecimal.ZERO);
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    ExactSum s = sum(values(31, 500));
    assertThat(JavaSerialization.roundTrip(s)).isEqualTo(s);
  }

  @Test
  void refusesToAddItself() {
    ExactSum s = new ExactSum();
    assertThatThrownBy(() -> s.add(s)).isInstanceOf(IllegalArgumentException.class);
  }
}
