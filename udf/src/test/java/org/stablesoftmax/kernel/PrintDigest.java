package org.stablesoftmax.kernel;

/**
 * Prints a digest of every output bit of the SIMD and scalar kernels on seeded rows; run in a
 * child JVM by {@link DeterminismTest}, interpreted or compiled.
 */
final class PrintDigest {
  public static void main(String[] args) {
    System.out.println(digest(new VectorSoftmaxKernel()) + " " + digest(new ScalarSoftmaxKernel()));
  }

  static long digest(SoftmaxKernel kernel) {
    SoftmaxRow row = new SoftmaxRow(kernel);
    long h = 17;
    for (Rows.Case c : Rows.generated(2468, 60)) {
      double[] x = c.x();
      double[] out = new double[x.length];
      row.softmax(x, 0, x.length, c.temperature(), out, 0);
      for (double v : out) {
        h = 31 * h + Double.doubleToLongBits(v);
      }
      h = 31 * h + Double.doubleToLongBits(row.logSumExp());
      h = 31 * h + Double.doubleToLongBits(row.crossEntropy(c.label()));
      h = 31 * h + Double.doubleToLongBits(row.entropy());
    }
    return h;
  }
}
