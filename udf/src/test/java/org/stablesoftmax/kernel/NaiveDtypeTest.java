package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link NaiveDtype#round} against Java's float cast and the tests' own emulation. */
class NaiveDtypeTest {

  @Test
  void roundingAgreesWithTheEmulationEverywhere() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int j = 0; j < 200_000; j++) {
      double v = (rng.nextBoolean() ? 1 : -1) * Math.pow(2, rng.nextDouble(-160, 140));
      if (j % 4 == 0) {
        // exactly halfway between two neighbours of some format: tests ties to even
        v = Math.scalb(Math.rint(Math.scalb(v, 20)) + 0.5, -20);
      }
      assertThat(NaiveDtype.FLOAT16.round(v)).as("float16 of %s", v)
          .isEqualTo(SmallFloats.FLOAT16.round(v));
      assertThat(NaiveDtype.BFLOAT16.round(v)).as("bfloat16 of %s", v)
          .isEqualTo(SmallFloats.BFLOAT16.round(v));
      assertThat(NaiveDtype.FLOAT32.round(v)).isEqualTo((double) (float) v);
      assertThat(NaiveDtype.FLOAT64.round(v)).isEqualTo(v);
    }
  }

  @Test
  void limits() {
    assertThat(NaiveDtype.FLOAT16.round(65504.0)).isEqualTo(65504.0);
    assertThat(NaiveDtype.FLOAT16.round(65519.99)).isEqualTo(65504.0);
    assertThat(NaiveDtype.FLOAT16.round(65520.0)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(NaiveDtype.FLOAT16.round(Math.pow(2, -25))).isZero(); // the tie goes to 0
    assertThat(NaiveDtype.FLOAT16.round(Math.pow(2, -24))).isEqualTo(Math.pow(2, -24));
    assertThat(NaiveDtype.BFLOAT16.round(1.0 + 1.0 / 256)).isEqualTo(1.0); // tie to even
    assertThat(NaiveDtype.BFLOAT16.round(1.0 + 3.0 / 256)).isEqualTo(1.0 + 4.0 / 256);
    assertThat(NaiveDtype.BFLOAT16.round(Double.NaN)).isNaN();
    assertThat(NaiveDtype.FLOAT32.logMax()).isEqualTo(Math.log(Float.MAX_VALUE));
    assertThat(NaiveDtype.parse(" BFloat16 ")).isEqualTo(NaiveDtype.BFLOAT16);
    assertThat(NaiveDtype.parse("float32").label()).isEqualTo("float32");
  }
}
