package org.stablesoftmax.kernel;

/** The running sums of {@link SoftmaxKernel#expSum}; one per {@link SoftmaxRow}, reused. */
final class ExpSumAccumulator {
  /** Sum of {@code e_i}, and the sum of the rounding errors of its additions. */
  double sum;
  double comp;
  /** Sum of {@code e_i * -q_i}: the entropy's numerator. */
  double entropy;
  /** Room for one vector's lanes, for the SIMD reduction. */
  final double[] lanes = new double[64];

  void reset() {
    sum = 0.0;
    comp = 0.0;
    entropy = 0.0;
  }

  /** Adds {@code v} to {@code sum}, the rounding error to {@code comp} (TwoSum). */
  void add(double v) {
    double s = sum + v;
    double bv = s - sum;
    comp += (sum - (s - bv)) + (v - bv);
    sum = s;
  }
}
