package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DESIGN.md's table of non-finite input, on both kernels, double and float: never a throw. */
class NonFiniteSemanticsTest {

  static final double NEG_INF = Double.NEGATIVE_INFINITY;
  static final double POS_INF = Double.POSITIVE_INFINITY;
  static final double NAN = Double.NaN;

  static Stream<Arguments> kernels() {
    return Kernels.all().stream().map(Arguments::of);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void someMinusInfinityIsAMaskedClass(SoftmaxKernel kernel) {
    double[] x = {1.0, NEG_INF, 2.0, NEG_INF};
    Outputs d = Outputs.of(kernel, x, 0);
    assertThat(d.softmax[1]).isZero();
    assertThat(d.softmax[3]).isZero();
    assertThat(d.logSoftmax[1]).isEqualTo(NEG_INF);
    // masking a class is removing it, to the last bit
    Outputs unmasked = Outputs.of(kernel, new double[] {1.0, 2.0}, 0);
    assertThat(new double[] {d.softmax[0], d.softmax[2]}).containsExactly(unmasked.softmax);
    assertThat(new double[] {d.logSoftmax[0], d.logSoftmax[2]})
        .containsExactly(unmasked.logSoftmax);
    assertThat(d.logSumExp).isEqualTo(unmasked.logSumExp);
    assertThat(d.crossEntropy).isEqualTo(unmasked.crossEntropy);
    assertThat(new SoftmaxRow(kernel).analyze(x, 0, 4, 1.0).crossEntropy(1)).isEqualTo(POS_INF);
    assertThat(d.floatSoftmax[1]).isZero();
    assertThat(d.floatLogSoftmax[3]).isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void allMinusInfinity(SoftmaxKernel kernel) {
    Outputs d = Outputs.of(kernel, new double[] {NEG_INF, NEG_INF, NEG_INF}, 1);
    assertThat(d.softmax).containsOnly(NAN);
    assertThat(d.logSoftmax).containsOnly(NAN);
    assertThat(d.logSumExp).isEqualTo(NEG_INF);
    assertThat(d.crossEntropy).isNaN();
    assertThat(d.floatSoftmax).containsOnly(Float.NaN);
    assertThat(d.floatLogSumExp).isEqualTo(NEG_INF);
  }

  static Stream<Arguments> poisonedRows() {
    return Kernels.all().stream().flatMap(k -> Stream.of(
        Arguments.of(k, new double[] {1.0, NAN, 2.0}),
        Arguments.of(k, new double[] {1.0, POS_INF, 2.0}),
        Arguments.of(k, new double[] {POS_INF, NAN, NEG_INF}),
        Arguments.of(k, new double[] {NEG_INF, POS_INF}),
        Arguments.of(k, new double[] {NAN})));
  }

  @ParameterizedTest
  @MethodSource("poisonedRows")
  void anyNanOrPlusInfinityMakesEverythingNanButTheLogSumExp(SoftmaxKernel kernel, double[] x) {
    Outputs d = Outputs.of(kernel, x, 0);
    assertThat(d.softmax).containsOnly(NAN);
    assertThat(d.logSoftmax).containsOnly(NAN);
    // as torch.logsumexp and scipy.special.logsumexp: NaN with a NaN, else +inf
    Double lse = Arrays.stream(x).anyMatch(Double::isNaN) ? NAN : POS_INF;
    assertThat(d.logSumExp).isEqualTo(lse);
    assertThat(d.crossEntropy).isNaN();
    assertThat(d.floatSoftmax).containsOnly(Float.NaN);
    assertThat(d.floatLogSoftmax).containsOnly(Float.NaN);
    assertThat(d.floatLogSumExp).isEqualTo(lse);
    SoftmaxRow row = new SoftmaxRow(kernel).analyze(x, 0, x.length, 1.0);
    assertThat(row.entropy()).isNaN();
    assertThat(row.maxProbability()).isNaN();
    assertThat(row.isFinite()).isFalse();
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void emptyRow(SoftmaxKernel kernel) {
    SoftmaxRow row = new SoftmaxRow(kernel);
    double[] out = new double[0];
    row.softmax(new double[0], 0, 0, 1.0, out, 0);
    assertThat(row.logSumExp()).isEqualTo(NEG_INF);
    assertThat(row.crossEntropy(0)).isNaN();
    assertThat(row.crossEntropy(5)).isNaN();
    assertThat(row.argmax()).isEqualTo(-1);
    assertThat(StableSoftmax.softmax(new double[0])).isEmpty();
    assertThat(StableSoftmax.logSoftmax(new float[0])).isEmpty();
    assertThat(StableSoftmax.logSumExp(new float[0])).isEqualTo(NEG_INF);
    assertThat(StableSoftmax.topK(new double[0], 3)).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void overflowingDifferencesAreExactLimits(SoftmaxKernel kernel) {
    // x_i - max overflows to -inf: that class's probability is exactly 0
    double[] x = {Double.MAX_VALUE, -Double.MAX_VALUE};
    Outputs d = Outputs.of(kernel, x, 0);
    assertThat(d.softmax).containsExactly(1.0, 0.0);
    assertThat(d.logSoftmax).containsExactly(0.0, NEG_INF);
    assertThat(d.logSumExp).isEqualTo(Double.MAX_VALUE);
    assertThat(d.crossEntropy).isZero();
    assertThat(new SoftmaxRow(kernel).analyze(x, 0, 2, 1.0).crossEntropy(1)).isEqualTo(POS_INF);
  }

  /** Every output of one row, double and float. */
  static final class Outputs {
    double[] softmax;
    double[] logSoftmax;
    double logSumExp;
    double crossEntropy;
    float[] floatSoftmax;
    float[] floatLogSoftmax;
    double floatLogSumExp;

    static Outputs of(SoftmaxKernel kernel, double[] x, int label) {
      int n = x.length;
      Outputs o = new Outputs();
      SoftmaxRow row = new SoftmaxRow(kernel);
      o.softmax = new double[n];
      row.softmax(x, 0, n, 1.0, o.softmax, 0);
      o.logSoftmax = new double[n];
      row.logSoftmax(x, 0, n, 1.0, o.logSoftmax, 0);
      o.logSumExp = row.logSumExp();
      o.crossEntropy = row.crossEntropy(label);
      float[] f = KernelAccuracyTest.toFloat(x);
      o.floatSoftmax = new float[n];
      row.softmax(f, 0, n, 1.0, o.floatSoftmax, 0);
      o.floatLogSoftmax = new float[n];
      row.logSoftmax(f, 0, n, 1.0, o.floatLogSoftmax, 0);
      o.floatLogSumExp = row.logSumExp();
      return o;
    }
  }
}
