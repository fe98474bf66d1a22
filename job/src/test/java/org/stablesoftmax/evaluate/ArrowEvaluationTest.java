package org.stablesoftmax.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.stablesoftmax.arrow.BatchColumns;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.stats.PartitionStats;
import scala.collection.JavaConverters;

/**
 * The Arrow engine's evaluation of a partition: batches bounded by bytes, the same results
 * whatever the bound and whatever Spark's batches, no Arrow memory left.
 */
class ArrowEvaluationTest {

  private final RootAllocator root = new RootAllocator();

  @AfterEach
  void closeRoot() {
    assertThat(root.getAllocatedMemory()).as("bytes left").isZero();
    assertThat(root.getChildAllocators()).as("allocators left open").isEmpty();
    root.close();
  }

  private static EvalSpec spec(long batchBytes, int batchRows) {
    return new EvalSpec(LogitsKind.FLOAT, 1.0, 5, NaiveDtype.FLOAT32, true, false, 0,
        "file:/data/", batchBytes, batchRows, PartitionStats.BINS);
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
    try (ArrowEvaluation b = new ArrowEvaluation(spec, child)) {
      PartitionStats s = b.run(rows.iterator());
      batches[0] = b.writer().batches();
      assertThat(b.writer().largestBatchBytes()).as("a batch over the bound holds one row only")
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

  /** The input's scalar columns of a batch row, the logits null (as {@link ColumnarScan}'s). */
  /** The batches' columns as ColumnarScan reads a scan's: the file from a batch's first row. */
  private static BatchColumns columns() {
    List<Expression> e = List.of(Literal.create(null, LOGITS_TYPE),
        new BoundReference(1, DataTypes.LongType, true),
        new BoundReference(2, DataTypes.LongType, true),
        Literal.create(null, DataTypes.StringType),
        new BoundReference(4, DataTypes.LongType, false));
    List<Expression> file = List.of(new BoundReference(3, DataTypes.StringType, false));
    return new BatchColumns(0, UnsafeProjection.create(JavaConverters.asScalaBuffer(e).toSeq()),
        UnsafeProjection.create(JavaConverters.asScalaBuffer(file).toSeq()));
  }

  private static final ArrayType LOGITS_TYPE = new ArrayType(DataTypes.FloatType, true);

  /**
   * The rows in Spark's on-heap column vectors, as the Parquet reader fills them: a null or empty
   * array also takes a null element slot, between the rows' elements.
   */
  private static List<ColumnarBatch> onHeapBatches(List<InternalRow> rows, int batchRows) {
    List<ColumnarBatch> out = new ArrayList<>();
    for (int from = 0; from < rows.size(); from += batchRows) {
      int n = Math.min(batchRows, rows.size() - from);
      OnHeapColumnVector logits = new OnHeapColumnVector(n, LOGITS_TYPE);
      WritableColumnVector values = logits.arrayData();
      OnHeapColumnVector[] others = new OnHeapColumnVector[4];
      DataType[] types = {DataTypes.LongType, DataTypes.LongType, DataTypes.StringType,
          DataTypes.LongType};
      for (int c = 0; c < 4; c++) {
        others[c] = new OnHeapColumnVector(n, types[c]);
      }
      int slot = 0;
      for (int i = 0; i < n; i++) {
        InternalRow r = rows.get(from + i);
        if (r.isNullAt(0) || r.getArray(0).numElements() == 0) {
          if (r.isNullAt(0)) {
            logits.putNull(i);
          } else {
            logits.putArray(i, slot, 0);
          }
          values.reserve(slot + 1);
          values.putNull(slot++);
        } else {
          ArrayData a = r.getArray(0);
          values.reserve(slot + a.numElements());
          logits.putArray(i, slot, a.numElements());
          for (int j = 0; j < a.numElements(); j++, slot++) {
            if (a.isNullAt(j)) {
              values.putNull(slot);
            } else {
              values.putFloat(slot, a.getFloat(j));
            }
          }
        }
        for (int c = 0; c < 4; c++) {
          if (r.isNullAt(c + 1)) {
            others[c].putNull(i);
          } else if (c == 2) {
            others[c].putByteArray(i, r.getUTF8String(c + 1).getBytes());
          } else {
            others[c].putLong(i, r.getLong(c + 1));
          }
        }
      }
      out.add(new ColumnarBatch(new ColumnVector[] {logits, others[0], others[1], others[2],
          others[3]}, n));
    }
    return out;
  }

  @Test
  void columnarBatchesGiveWhatRowsGive() {
    List<InternalRow> rows = rows(2000);
    int[] batches = new int[1];
    PartitionStats byRows = evaluate(rows, spec(8192, 4096), batches);
    for (EvalSpec spec : List.of(spec(8192, 4096), spec(1L << 30, 4096), spec(1L << 30, 7))) {
      for (int sparkRows : new int[] {1, 97, 4096}) {
        BufferAllocator child = root.newChildAllocator("columnar", 0, Long.MAX_VALUE);
        try (ArrowEvaluation b = new ArrowEvaluation(spec, child)) {
          assertThat(b.run(onHeapBatches(rows, sparkRows).iterator(), columns()))
              .as("%s, Spark batches of %d rows", spec, sparkRows).isEqualTo(byRows);
        }
      }
    }
  }

  @Test
  void columnarBatchesOfOtherVectorsGiveWhatRowsGive() {
    List<InternalRow> rows = rows(500);
    int[] batches = new int[1];
    PartitionStats byRows = evaluate(rows, spec(8192, 4096), batches);
    StructType schema = new StructType().add("logits", LOGITS_TYPE).add("label",
        DataTypes.LongType).add("id", DataTypes.LongType).add("file", DataTypes.StringType)
        .add("row_index", DataTypes.LongType);
    try (VectorSchemaRoot arrow = VectorSchemaRoot.create(
        ArrowUtils.toArrowSchema(schema, "UTC", true, false), root)) {
      ArrowWriter writer = ArrowWriter.create(arrow);
      rows.forEach(writer::write);
      writer.finish();
      ColumnVector[] columns = new ColumnVector[5];
      for (int c = 0; c < 5; c++) {
        columns[c] = new ArrowColumnVector(arrow.getVector(c));
      }
      BufferAllocator child = root.newChildAllocator("arrow-vectors", 0, Long.MAX_VALUE);
      try (ArrowEvaluation b = new ArrowEvaluation(spec(8192, 4096), child)) {
        assertThat(b.run(List.of(new ColumnarBatch(columns, rows.size())).iterator(),
            columns())).isEqualTo(byRows);
      }
    }
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
      try (ArrowEvaluation b = new ArrowEvaluation(spec(8192, 4096), child)) {
        b.run(failing);
      }
    }).hasMessage("the input broke");
    // closeRoot asserts that nothing is left
  }

  @Test
  void closingTwiceIsHarmless() {
    BufferAllocator child = root.newChildAllocator("twice", 0, Long.MAX_VALUE);
    ArrowEvaluation b = new ArrowEvaluation(spec(8192, 4096), child);
    PartitionStats stats = b.run(rows(50).iterator());
    assertThat(stats.rows()).isEqualTo(50);
    try (ArrowEvaluation small = new ArrowEvaluation(spec(8192, 7),
        root.newChildAllocator("small", 0, Long.MAX_VALUE))) {
      assertThat(stats).as("as in batches of 7 rows").isEqualTo(small.run(rows(50).iterator()));
    }
    b.close();
    assertThat(child.getAllocatedMemory()).as("bytes left after the first close").isZero();
    assertThat(root.getChildAllocators()).as("the child allocator is closed").isEmpty();
    b.close();
    assertThat(root.getAllocatedMemory()).isZero();
  }
}
