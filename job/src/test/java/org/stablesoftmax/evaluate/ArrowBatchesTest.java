package org.stablesoftmax.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.stablesoftmax.evaluate.EvalSpec.LogitsKind;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.stats.PartitionStats;

/** The Arrow engine's batches: bounded by bytes, the same results whatever the bound, no leak. */
class ArrowBatchesTest {

  private final RootAllocator root = new RootAllocator();

  @AfterEach
  void closeRoot() {
    assertThat(root.getAllocatedMemory()).as("bytes left").isZero();
    assertThat(root.getChildAllocators()).as("allocators left open").isEmpty();
    root.close();
  }

  private static EvalSpec spec(long batchBytes, int batchRows) {
    return new EvalSpec(LogitsKind.FLOAT, 1.0, 5, NaiveDtype.FLOAT32, true, false, 0,
        "file:/data/", batchBytes, batchRows);
  }

  /** Rows of varied widths, some with a null element (read as NaN), some null, some extreme. */
  private static List<InternalRow> rows(int n) {
    SplittableRandom rng = new SplittableRandom(5);
    List<InternalRow> out = new ArrayList<>();
    UTF8String file = UTF8String.fromString("file:/data/part-0.parquet");
    for (int i = 0; i < n; i++) {
      int c = 1 + rng.nextInt(i % 50 == 0 ? 3000 : 300);
      float[] x = new float[c];
      for (int j = 0; j < c; j++) {
        x[j] = (float) (rng.nextGaussian() * (i % 7 == 0 ? 300 : 3));
      }
      Object logits = UnsafeArrayData.fromPrimitiveArray(x);
      if (i % 31 == 0) {
        Object[] boxed = new Object[c];
        for (int j = 0; j < c; j++) {
          boxed[j] = j == c / 2 ? null : x[j];
        }
        logits = new GenericArrayData(boxed);
      } else if (i % 37 == 0) {
        logits = null;
      }
      out.add(new GenericInternalRow(new Object[] {logits, (long) rng.nextInt(c + 1),
          i % 3 == 0 ? null : (long) i, file, (long) i}));
    }
    return out;
  }

  private PartitionStats evaluate(List<InternalRow> rows, EvalSpec spec, int[] batches) {
    BufferAllocator child = root.newChildAllocator("test", 0, Long.MAX_VALUE);
    try (ArrowBatches b = new ArrowBatches(spec, child)) {
      PartitionStats s = b.run(rows.iterator());
      batches[0] = b.batches;
      assertThat(b.largestBatchBytes).as("a batch over the bound holds one row only")
          .isLessThanOrEqualTo(Math.max(spec.batchBytes(), 3000 * 4));
      return s;
    }
  }

  @Test
  void batchesAreBoundedByBytesAndTheResultsDoNotDependOnTheBound() {
    List<InternalRow> rows = rows(2000);
    int[] batches = new int[1];
    PartitionStats one = evaluate(rows, spec(1L << 30, 1 << 20), batches);
    assertThat(batches[0]).isEqualTo(1);
    PartitionStats small = evaluate(rows, spec(8192, 4096), batches);
    // rows average about 600 bytes: 8 KiB holds about 13 of them
    assertThat(batches[0]).isGreaterThan(2000 / 20);
    PartitionStats byRows = evaluate(rows, spec(1L << 30, 7), batches);
    assertThat(batches[0]).isEqualTo((2000 + 6) / 7);
    assertThat(small).isEqualTo(one);
    assertThat(byRows).isEqualTo(one);
    assertThat(one.rows()).isEqualTo(2000);
    assertThat(one.evaluatedRows()).isPositive();
    assertThat(one.naiveFailureRows()).isPositive();
  }

  @Test
  void aFailingInputLeavesNoArrowMemoryBehind() {
    List<InternalRow> rows = rows(500);
    Iterator<InternalRow> failing = new Iterator<>() {
      private int i;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public InternalRow next() {
        if (i == 300) {
          throw new IllegalStateException("the input broke");
        }
        return rows.get(i++);
      }
    };
    BufferAllocator child = root.newChildAllocator("failing", 0, Long.MAX_VALUE);
    assertThatThrownBy(() -> {
      try (ArrowBatches b = new ArrowBatches(spec(8192, 4096), child)) {
        b.run(failing);
      }
    }).hasMessage("the input broke");
    // closeRoot asserts that nothing is left
  }

  @Test
  void closingTwiceIsHarmless() {
    BufferAllocator child = root.newChildAllocator("twice", 0, Long.MAX_VALUE);
    ArrowBatches b = new ArrowBatches(spec(8192, 4096), child);
    b.run(rows(50).iterator());
    b.close();
    b.close();
  }
}
