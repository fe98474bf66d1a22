package org.stablesoftmax.kernel;

/** The running sums of {@link SoftmaxKernel#expSum}; one per {@link SoftmaxRow}, reused. */
final class ExpSumAccumulator extends CompensatedSum {
  /** Sum of {@code e_i * -q_i}: the entropy's numerator. */
  double entropy;
  /** Room for one vector's lanes, for the SIMD reduction. */
  final double[] lanes = new double[64];

  @Override
  void reset() {
    super.reset();
    entropy = 0.0;
  }
}
