package org.stablesoftmax.kernel;

import java.util.List;

/** Both kernel implementations, for tests that must hold on each. */
final class Kernels {

  private Kernels() {}

  static final SoftmaxKernel SCALAR = new ScalarSoftmaxKernel();
  static final SoftmaxKernel SIMD = new VectorSoftmaxKernel();

  static List<SoftmaxKernel> all() {
    return List.of(SCALAR, SIMD);
  }
}
