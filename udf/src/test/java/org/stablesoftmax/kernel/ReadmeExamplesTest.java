package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * The README's kernel examples. Exact values were computed apart, with Python's decimal module
 * at 50 digits; the kernel must be within its bounds of them.
 */
class ReadmeExamplesTest {

  @Test
  void wholeArrays() {
    double[] p = StableSoftmax.softmax(new double[] {1000, 1001, 1002});
    assertWithin(p[0], "0.090030573170380457998022101484491797867930864911467", 4);
    assertWithin(p[1], "0.24472847105479765247295961834076279719930007483796", 4);
    assertWithin(p[2], "0.66524095577482188952901828017474540493276906025054", 4);
    assertWithin(StableSoftmax.logSumExp(new double[] {1000, 1001, 1002}),
        "1002.4076059644443803044829199045450704514729471083", 2);
    assertThat(StableSoftmax.crossEntropy(new double[] {1000, 1, -1000}, 2)).isEqualTo(2000.0);
    assertThat(StableSoftmax.logSoftmax(new float[] {38, 20, 40, 39}, 100.0))
        .containsExactly(-1.3520967f, -1.5320966f, -1.3320967f, -1.3420967f);
  }

  @Test
  void options() {
    double[] logits = {2.0, 0.5, -1.0};
    CrossEntropyOptions o = CrossEntropyOptions.DEFAULT
        .labelSmoothing(0.1)
        .classWeights(new double[] {1.0, 2.0, 0.5})
        .ignoreIndex(-100);
    assertWithin(StableSoftmax.crossEntropy(logits, 1, 1.0, o),
        "3.3125133185928843559623003687546877496533193443664", 4);
    assertThat(StableSoftmax.crossEntropy(logits, -100, 1.0, o)).isZero();
  }

  @Test
  void weightedLogSumExp() {
    assertWithin(StableSoftmax.logSumExp(new double[] {0, 1}, new double[] {1, 1}),
        "1.3132616875182228340489954949678556419152800856703", 2);
    double[] signed = StableSoftmax.logSumExpWithSign(new double[] {0, 1},
        new double[] {1, -1});
    assertWithin(signed[0], "0.54132485461291810897835635493267029812302209330781", 2);
    assertThat(signed[1]).isEqualTo(-1.0);
    assertThat(StableSoftmax.logSumExp(new double[] {0, 1}, new double[] {1, -1})).isNaN();
  }

  @Test
  void oneRowOfAFlatBuffer() {
    double[] values = {1, 2, 3, 0.5, -1, 4, 2, 2, 9};
    SoftmaxRow row = new SoftmaxRow(); // one per thread, reused
    row.analyze(values, 3, 3, 1.0); // the row [0.5, -1, 4]
    assertThat(row.argmax()).isEqualTo(2);
    assertWithin(row.crossEntropy(0), "3.5362695651247791328654315956147622161303837682035", 2);
    assertWithin(row.entropy(), "0.17068544708426324271293142146961253951371429540169", 8);
    assertThat(row.incidents(0, NaiveDtype.FLOAT32)).isZero();

    int[] offsets = {0, 3, 6, 9};
    int[] labels = {2, 0, 0};
    double[] losses = new double[3];
    StableSoftmax.crossEntropyBatch(values, offsets, 3, labels, 1.0, losses, row);
    assertWithin(losses[0], "0.4076059644443803044829199045450704514729471083062", 2);
    assertWithin(losses[1], "3.5362695651247791328654315956147622161303837682035", 2);
    assertWithin(losses[2], "7.0018221028929252084987783194367367029394376757783", 2);
  }

  @Test
  void incidents() {
    int bits = StableSoftmax.incidents(new double[] {1000, 1001, 1002}, 0, 1.0,
        NaiveDtype.FLOAT32);
    assertThat(IncidentKind.names(bits)).containsExactly("NAIVE_OVERFLOW");
  }

  private static void assertWithin(double actual, String exact, double ulps) {
    assertThat(Reference.ulps(actual, new BigDecimal(exact))).as("%s against %s", actual, exact)
        .isLessThanOrEqualTo(ulps);
  }
}
