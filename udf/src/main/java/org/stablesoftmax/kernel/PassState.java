package org.stablesoftmax.kernel;

/**
 * What the kernel's passes over a row leave behind: the maximum and its index from
 * {@link SoftmaxKernel#scan}, the running sums of {@link SoftmaxKernel#expSum}. One per
 * {@link SoftmaxRow}, reused.
 */
final class PassState extends CompensatedSum {
  /** The largest non-NaN element and the first index holding it ({@link SoftmaxKernel#scan}). */
  double max;
  int argmax;
  /** Sum of {@code e_i * -q_i}: the entropy's numerator. */
  double entropy;
  /** Sum of {@code e_i^2} over {@code i != k}: the Brier score's. */
  double squares;
  /** Room for one vector's lanes, for the SIMD reduction. */
  final double[] lanes = new double[64];

  /**
   * Adds the partial sums of {@link ScalarSoftmaxKernel#LANES} lanes, left in {@code lanes}: the
   * sums in {@code [0, n)}, their compensations in {@code [n, 2n)} and the sums of
   * {@code e * q} (the negated entropy numerator) in {@code [2n, 3n)} and the sums of
   * {@code e^2} in {@code [3n, 4n)}. Lane {@code kLane}, if not -1, holds {@code e_k = 1} as its
   * last addition to the sum: 1 is taken off it, exactly, as its sum is at least 1 (the caller
   * leaves {@code e_k^2} out of the squares). The lanes are added pairwise in a fixed tree, so
   * both kernels get the same bits.
   */
  void addLanes(int n, int kLane) {
    if (kLane >= 0) {
      lanes[kLane] -= 1.0;
    }
    // pairwise: (sum, comp) of lane j+w into lane j by TwoSum, and the entropy sums
    for (int w = 1; w < n; w *= 2) {
      for (int j = 0; j + w < n; j += 2 * w) {
        double a = lanes[j];
        double b = lanes[j + w];
        double s = a + b;
        double bb = s - a;
        lanes[n + j] += lanes[n + j + w] + ((a - (s - bb)) + (b - bb));
        lanes[j] = s;
        lanes[2 * n + j] += lanes[2 * n + j + w];
        lanes[3 * n + j] += lanes[3 * n + j + w];
      }
    }
    add(lanes[0]);
    comp += lanes[n];
    entropy -= lanes[2 * n];
    squares += lanes[3 * n];
  }

  @Override
  void reset() {
    super.reset();
    entropy = 0.0;
    squares = 0.0;
  }
}
