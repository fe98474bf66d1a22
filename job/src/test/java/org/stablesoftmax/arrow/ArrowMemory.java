package org.stablesoftmax.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.sql.util.ArrowUtils;

/** The job tests' Arrow leak check, on Spark's root allocator (every partition's parent). */
public final class ArrowMemory {

  private ArrowMemory() {}

  /** No Arrow bytes allocated, no child allocator open. */
  public static void assertNoneLeft() {
    assertThat(ArrowUtils.rootAllocator().getAllocatedMemory()).as("Arrow bytes allocated")
        .isZero();
    assertThat(ArrowUtils.rootAllocator().getChildAllocators()).as("open child allocators")
        .isEmpty();
  }
}
