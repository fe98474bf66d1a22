package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Argument errors throw IllegalArgumentException with a message naming the argument. */
class ArgumentErrorsTest {

  private final double[] x = {1.0, 2.0, 3.0};

  @Test
  void nullArrays() {
    assertThatThrownBy(() -> StableSoftmax.softmax((double[]) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("logits must not be null");
    assertThatThrownBy(() -> StableSoftmax.logSumExp((float[]) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("logits must not be null");
    assertThatThrownBy(() -> StableSoftmax.softCrossEntropy(x, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("target must not be null");
    assertThatThrownBy(() -> StableSoftmax.softmax(x, 0, 3, 1.0, null, 0, new SoftmaxRow()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("out must not be null");
    assertThatThrownBy(() -> StableSoftmax.logSumExp(x, 0, 3, 1.0, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("workspace must not be null");
    assertThatThrownBy(() -> StableSoftmax.crossEntropy(x, 0, 1.0, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("options must not be null");
  }

  @Test
  void badOffsets() {
    SoftmaxRow row = new SoftmaxRow();
    assertThatThrownBy(() -> row.analyze(x, 2, 2, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("offset 2 and length 2 do not fit in logits of length 3");
    assertThatThrownBy(() -> row.analyze(x, -1, 1, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset -1");
    assertThatThrownBy(() -> row.softmax(x, 0, 3, 1.0, new double[2], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("offset 0 and length 3 do not fit in out of length 2");
    assertThatThrownBy(() -> StableSoftmax.logSumExpBatch(x, new int[] {0, 2, 1}, 2, 1.0,
            new double[2], row))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offsets");
    assertThatThrownBy(() -> StableSoftmax.logSumExpBatch(x, new int[] {0, 4}, 1, 1.0,
            new double[1], row))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("offsets span [0, 4) but values has length 3");
    assertThatThrownBy(() -> StableSoftmax.crossEntropyBatch(x, new int[] {0, 3}, 1,
            new int[0], 1.0, new double[1], row))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels");
  }

  @Test
  void temperatureMustBePositive() {
    for (double t : new double[] {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> StableSoftmax.softmax(x, t))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("temperature must be > 0");
    }
  }

  @Test
  void labelSmoothingMustBeInZeroOne() {
    for (double eps : new double[] {-0.1, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> CrossEntropyOptions.DEFAULT.labelSmoothing(eps))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("label smoothing must be in [0, 1]");
    }
  }

  @Test
  void labelOutOfRangeWhereOneIsRequired() {
    assertThatThrownBy(() -> StableSoftmax.crossEntropy(x, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label 3 is out of range for a row of 3 classes");
    assertThatThrownBy(() -> StableSoftmax.crossEntropy(new float[] {1f}, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label -1");
    assertThatThrownBy(() -> StableSoftmax.crossEntropyGradient(x, 7))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 7");
  }

  @Test
  void shapesMustMatch() {
    assertThatThrownBy(() -> StableSoftmax.crossEntropy(x, 0, 1.0,
            CrossEntropyOptions.DEFAULT.classWeights(new double[] {1, 2})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("classWeights has 2 entries but the row has 3 classes");
    assertThatThrownBy(() -> StableSoftmax.softmaxJvp(x, new double[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("v has 2 entries but logits has 3");
    assertThatThrownBy(() -> CrossEntropyOptions.DEFAULT.classWeights(
            new double[] {1, Double.NaN}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("classWeights[1]");
    assertThatThrownBy(() -> StableSoftmax.topK(x, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("k must be >= 0, got -1");
    assertThatThrownBy(() -> NaiveDtype.parse("float8"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("naive_dtype");
  }
}
