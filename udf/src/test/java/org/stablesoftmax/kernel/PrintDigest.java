package org.stablesoftmax.kernel;

/**
 * Prints the kernel in use and a digest of every output bit on seeded rows; run in a child JVM
 * by {@link DeterminismTest}. Argument {@code vector}: the SIMD kernel whatever the JVM;
 * otherwise the kernel {@link KernelProvider} chooses.
 */
final class PrintDigest {
  public static void main(String[] args) {
    SoftmaxKernel kernel = args.length > 0 && args[0].equals("vector")
        ? new VectorSoftmaxKernel() : KernelProvider.get();
    System.out.println(kernel.name() + " " + digest(kernel));
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
