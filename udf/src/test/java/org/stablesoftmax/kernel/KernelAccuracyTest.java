package org.stablesoftmax.kernel;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every output of both kernels against exact values (big-math, 50 digits) on seeded generated
 * rows and on the crafted table, for double input and, on a share of the rows, float input.
 */
class KernelAccuracyTest {

  static final long SEED = 20261121L;
  static final int GENERATED_ROWS = 2000;

  static Stream<Rows.Case> generatedRows() {
    return Rows.generated(SEED, GENERATED_ROWS).stream();
  }

  static Stream<Rows.Case> craftedRows() {
    return Rows.crafted().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generatedRows")
  void generatedRowMeetsTheBounds(Rows.Case c) {
    check(c, c.name().hashCode() % 4 == 0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("craftedRows")
  void craftedRowMeetsTheBounds(Rows.Case c) {
    check(c, true);
  }

  private static void check(Rows.Case c, boolean alsoAsFloat) {
    Reference ref = new Reference(c.x(), c.temperature());
    for (SoftmaxKernel kernel : Kernels.all()) {
      Bounds.assertDoubleRow(kernel, c.name(), c.x(), c.label(), c.temperature(), ref);
    }
    if (alsoAsFloat) {
      float[] f = toFloat(c.x());
      double[] exactF = new double[f.length];
      boolean usable = false;
      for (int i = 0; i < f.length; i++) {
        exactF[i] = f[i];
        if (f[i] == Float.POSITIVE_INFINITY) {
          return; // overflows float: a different row, covered by the non-finite tests
        }
        usable |= f[i] != Float.NEGATIVE_INFINITY;
      }
      if (!usable) {
        return;
      }
      Reference refF = new Reference(exactF, c.temperature());
      for (SoftmaxKernel kernel : Kernels.all()) {
        Bounds.assertFloatRow(kernel, c.name(), f, c.label(), c.temperature(), refF);
      }
    }
  }

  static float[] toFloat(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }

  static List<SoftmaxKernel> kernels() {
    return Kernels.all();
  }
}
