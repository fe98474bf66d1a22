package org.stablesoftmax.job;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.stablesoftmax.arrow.ArrowMemory;

/**
 * After each test ({@code @ExtendWith(NoArrowMemoryLeft.class)}): Spark's Arrow root allocator,
 * which the Arrow engine's per-partition allocators are children of, holds no bytes and no open
 * child allocator.
 */
final class NoArrowMemoryLeft implements AfterEachCallback {

  @Override
  public void afterEach(ExtensionContext context) {
    assertNoneLeft();
  }

  static void assertNoneLeft() {
    ArrowMemory.assertNoneLeft();
  }
}
