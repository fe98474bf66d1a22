package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The flat-buffer and batch forms give, bit for bit, what the whole-array forms give, wherever
 * the row sits in the buffer; a reused workspace carries nothing from one row to the next.
 */
class BatchAndFlatTest {

  private static final List<Rows.Case> ROWS = Rows.generated(123, 200);

  /** All rows back to back, with row offsets, as in an Arrow ListVector. */
  private static final double[] VALUES;
  private static final int[] OFFSETS;
  private static final int[] LABELS;

  static {
    int total = ROWS.stream().mapToInt(c -> c.x().length).sum();
    VALUES = new double[total + 5]; // room after the last row: it must not be read
    OFFSETS = new int[ROWS.size() + 1];
    LABELS = new int[ROWS.size()];
    for (int r = 0; r < ROWS.size(); r++) {
      double[] x = ROWS.get(r).x();
      System.arraycopy(x, 0, VALUES, OFFSETS[r], x.length);
      OFFSETS[r + 1] = OFFSETS[r] + x.length;
      LABELS[r] = ROWS.get(r).label();
    }
    java.util.Arrays.fill(VALUES, total, VALUES.length, Double.NaN);
  }

  @Test
  void doubleBatchesEqualRowByRowCalls() {
    int rows = ROWS.size();
    SoftmaxRow ws = new SoftmaxRow();
    double[] lse = new double[rows];
    double[] ce = new double[rows];
    double[] sm = new double[VALUES.length];
    double[] ls = new double[VALUES.length];
    StableSoftmax.logSumExpBatch(VALUES, OFFSETS, rows, 1.0, lse, ws);
    StableSoftmax.crossEntropyBatch(VALUES, OFFSETS, rows, LABELS, 1.0, ce, ws);
    StableSoftmax.softmaxBatch(VALUES, OFFSETS, rows, 1.0, sm, ws);
    StableSoftmax.logSoftmaxBatch(VALUES, OFFSETS, rows, 1.0, ls, ws);
    for (int r = 0; r < rows; r++) {
      double[] x = ROWS.get(r).x();
      assertThat(lse[r]).isEqualTo(StableSoftmax.logSumExp(x));
      assertThat(ce[r]).isEqualTo(StableSoftmax.crossEntropy(x, LABELS[r]));
      assertThat(slice(sm, OFFSETS[r], x.length)).containsExactly(StableSoftmax.softmax(x));
      assertThat(slice(ls, OFFSETS[r], x.length)).containsExactly(StableSoftmax.logSoftmax(x));
    }
  }

  @Test
  void floatBatchesEqualRowByRowCalls() {
    int rows = ROWS.size();
    float[] values = KernelAccuracyTest.toFloat(VALUES);
    SoftmaxRow ws = new SoftmaxRow();
    double[] lse = new double[rows];
    double[] ce = new double[rows];
    float[] sm = new float[values.length];
    float[] ls = new float[values.length];
    StableSoftmax.logSumExpBatch(values, OFFSETS, rows, 2.5, lse, ws);
    StableSoftmax.crossEntropyBatch(values, OFFSETS, rows, LABELS, 2.5, ce, ws);
    StableSoftmax.softmaxBatch(values, OFFSETS, rows, 2.5, sm, ws);
    StableSoftmax.logSoftmaxBatch(values, OFFSETS, rows, 2.5, ls, ws);
    for (int r = 0; r < rows; r++) {
      float[] x = KernelAccuracyTest.toFloat(ROWS.get(r).x());
      // bits, as a float row may overflow to +inf and give NaN
      assertThat(bits(lse[r])).isEqualTo(bits(StableSoftmax.logSumExp(x, 2.5)));
      assertThat(bits(ce[r])).isEqualTo(bits(StableSoftmax.crossEntropy(x, LABELS[r], 2.5)));
      float[] smRow = new float[x.length];
      System.arraycopy(sm, OFFSETS[r], smRow, 0, x.length);
      assertThat(smRow).containsExactly(StableSoftmax.softmax(x, 2.5));
      float[] lsRow = new float[x.length];
      System.arraycopy(ls, OFFSETS[r], lsRow, 0, x.length);
      assertThat(lsRow).containsExactly(StableSoftmax.logSoftmax(x, 2.5));
    }
  }

  @Test
  void aRowGivesTheSameBitsAtAnyOffsetInAnyBuffer() {
    SplittableRandom rng = new SplittableRandom(9);
    SoftmaxRow ws = new SoftmaxRow();
    for (Rows.Case c : ROWS) {
      double[] x = c.x();
      int pad = rng.nextInt(17);
      double[] buffer = new double[pad + x.length + 3];
      java.util.Arrays.fill(buffer, 1e300); // neighbours that would dominate if read
      System.arraycopy(x, 0, buffer, pad, x.length);
      double[] out = new double[x.length + 7];
      int outOff = rng.nextInt(8);
      StableSoftmax.softmax(buffer, pad, x.length, c.temperature(), out, outOff, ws);
      assertThat(slice(out, outOff, x.length))
          .containsExactly(StableSoftmax.softmax(x, c.temperature()));
      assertThat(StableSoftmax.crossEntropy(buffer, pad, x.length, c.label(), c.temperature(),
          ws)).isEqualTo(StableSoftmax.crossEntropy(x, c.label(), c.temperature()));
      assertThat(StableSoftmax.logSumExp(buffer, pad, x.length, c.temperature(), ws))
          .isEqualTo(StableSoftmax.logSumExp(x, c.temperature()));
    }
  }

  @Test
  void aRowGetsTheSameBitsWhateverCameBefore() {
    List<Rows.Case> rows = new java.util.ArrayList<>(Rows.generated(321, 300));
    for (SoftmaxKernel kernel : Kernels.all()) {
      SoftmaxRow reused = new SoftmaxRow(kernel);
      for (Rows.Case c : rows) {
        double[] x = c.x();
        double[] a = new double[x.length];
        double[] b = new double[x.length];
        reused.softmax(x, 0, x.length, c.temperature(), a, 0);
        SoftmaxRow fresh = new SoftmaxRow(kernel).softmax(x, 0, x.length, c.temperature(), b, 0);
        assertThat(a).as("%s %s", kernel.name(), c).containsExactly(b);
        assertThat(bits(reused.logSumExp())).isEqualTo(bits(fresh.logSumExp()));
        assertThat(bits(reused.entropy())).isEqualTo(bits(fresh.entropy()));
      }
    }
  }

  @Test
  void theMeanIsTheMeanOfTheRows() {
    int rows = ROWS.size();
    double[] ce = new double[rows];
    StableSoftmax.crossEntropyBatch(VALUES, OFFSETS, rows, LABELS, 1.0, ce, new SoftmaxRow());
    java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
    for (double v : ce) {
      sum = sum.add(new java.math.BigDecimal(v));
    }
    java.math.BigDecimal exact = sum.divide(java.math.BigDecimal.valueOf(rows), Reference.MC);
    double mean = StableSoftmax.meanCrossEntropy(VALUES, OFFSETS, rows, LABELS, 1.0,
        CrossEntropyOptions.DEFAULT, new SoftmaxRow());
    assertThat(Reference.ulps(mean, exact)).isLessThanOrEqualTo(1.0);
  }

  private static long bits(double v) {
    return Double.doubleToLongBits(v);
  }

  private static double[] slice(double[] a, int off, int len) {
    return java.util.Arrays.copyOfRange(a, off, off + len);
  }
}
