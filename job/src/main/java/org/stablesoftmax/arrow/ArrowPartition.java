package org.stablesoftmax.arrow;

import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The Arrow memory of one partition's work: a child allocator of Spark's root allocator, named
 * after the partition and the task attempt, closed when the work returns or fails, and by a
 * task-completion listener as a backstop. Closing it throws if anything is still allocated, so a
 * leak fails the task.
 */
public final class ArrowPartition {

  private ArrowPartition() {}

  /** Runs {@code work} with the partition's allocator, closed before this returns. */
  public static <T> T run(String purpose, Function<BufferAllocator, T> work) {
    TaskContext task = TaskContext.get();
    try (BufferAllocator a = allocator(purpose)) {
      if (task != null) {
        // a backstop: closing twice is harmless
        task.addTaskCompletionListener((TaskCompletionListener) t -> a.close());
      }
      return work.apply(a);
    }
  }

  /**
   * A new child allocator for the partition's work, named after it; the caller closes it (and
   * arranges for it to be closed when the task ends).
   */
  public static BufferAllocator allocator(String purpose) {
    TaskContext task = TaskContext.get();
    String name = task == null ? "stablesoftmax-" + purpose : "stablesoftmax-" + purpose
        + "-partition-" + task.partitionId() + "-attempt-" + task.attemptNumber();
    return ArrowUtils.rootAllocator().newChildAllocator(name, 0, Long.MAX_VALUE);
  }
}
