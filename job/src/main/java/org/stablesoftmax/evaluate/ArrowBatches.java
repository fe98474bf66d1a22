package org.stablesoftmax.evaluate;

import java.util.Arrays;
import java.util.Iterator;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.vectorized.OffHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.TaskCompletionListener;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.udf.RowEvaluator;
import org.stablesoftmax.udf.UnsafeArrays;

/**
 * The Arrow engine's work on one partition: packs the rows into Arrow vectors (logits as a
 * {@link ListVector} of float or double, labels, ids and row indices as {@link BigIntVector}s) in
 * batches bounded by bytes and by rows, runs the kernel over each batch's flat buffers, and
 * returns the partition's {@link PartitionStats}.
 *
 * <p>Logits come either from the Parquet reader's columnar batches (see {@link ColumnarScan}),
 * copied into the Arrow buffer with one memory copy per run of consecutive rows, or from rows,
 * with one copy per row from Spark's {@link UnsafeArrayData}; then from the Arrow buffer into a
 * reused primitive array with one copy per batch (the kernel reads Java arrays). No element is
 * ever boxed. All Arrow memory comes from one child
 * allocator per partition, closed when the partition is done, or failed, and by a task-completion
 * listener as a backstop.
 */
public final class ArrowBatches implements AutoCloseable {

  private final EvalSpec spec;
  private final int elementBytes;
  private final BufferAllocator allocator;
  private final ListVector logits;
  private final BigIntVector labels;
  private final BigIntVector ids;
  private final BigIntVector rowIndices;
  private boolean closed;

  // per row of the batch, beside the vectors
  private UTF8String[] files = new UTF8String[64];
  private boolean[] nullElement = new boolean[64];
  private boolean[] nanElement = new boolean[64];
  private int[] nullPositions = new int[16];
  private int nulls;
  private UTF8String lastFile;

  // elements of the current Spark batch still to copy: from its vector, to the Arrow buffer
  private WritableColumnVector pendingSource;
  private int pendingFrom;
  private int pendingCount;
  private int pendingAt;

  private int rows;
  private int elements;
  /** Batches evaluated, and the most logits bytes one held (for tests). */
  int batches;
  long largestBatchBytes;

  // the kernel's side
  private final RowResult result = new RowResult();
  private final RowScoring scoring;
  /** The batch row being evaluated, as {@link RowResult} reads it. */
  private int rowOffset;
  private int rowLength;
  private final RowResult.Logits batchRow = this::analyzeRow;
  private float[] floats = new float[0];
  private double[] doubles = new double[0];
  private int[] offsets = new int[0];

  ArrowBatches(EvalSpec spec, BufferAllocator allocator) {
    this.spec = spec;
    this.elementBytes = spec.logits().bytes();
    this.allocator = allocator;
    this.scoring = new RowScoring(spec);
    ListVector list = null;
    BigIntVector a = null;
    BigIntVector b = null;
    BigIntVector c = null;
    try {
      list = ListVector.empty("logits", allocator);
      list.addOrGetVector(FieldType.nullable(new ArrowType.FloatingPoint(
          elementBytes == 4 ? FloatingPointPrecision.SINGLE : FloatingPointPrecision.DOUBLE)));
      a = new BigIntVector("label", allocator);
      b = new BigIntVector("id", allocator);
      c = new BigIntVector("row_index", allocator);
    } catch (RuntimeException e) {
      for (AutoCloseable v : new AutoCloseable[] {list, a, b, c}) {
        closeQuietly(v);
      }
      allocator.close();
      throw e;
    }
    this.logits = list;
    this.labels = a;
    this.ids = b;
    this.rowIndices = c;
  }

  /**
   * Evaluates one partition of rows: the function the Arrow engine runs in {@code mapPartitions}
   * when its input is not a {@link ColumnarScan}.
   */
  public static PartitionStats evaluate(Iterator<InternalRow> input, EvalSpec spec) {
    return inPartition(spec, batches -> batches.run(input));
  }

  /** Evaluates one partition of a {@link ColumnarScan}'s batches. */
  static PartitionStats evaluate(Iterator<ColumnarBatch> input, EvalSpec spec,
      ColumnarScan scan) {
    return inPartition(spec, batches -> batches.run(input, scan.logitsColumn(),
        scan.scalarProjection()));
  }

  /**
   * Runs {@code work} with a child allocator named after the partition, closed before this
   * returns.
   */
  private static PartitionStats inPartition(EvalSpec spec,
      Function<ArrowBatches, PartitionStats> work) {
    TaskContext task = TaskContext.get();
    String name = task == null ? "stablesoftmax" : "stablesoftmax-partition-"
        + task.partitionId() + "-attempt-" + task.attemptNumber();
    BufferAllocator allocator = ArrowUtils.rootAllocator().newChildAllocator(name, 0,
        Long.MAX_VALUE);
    try (ArrowBatches batches = new ArrowBatches(spec, allocator)) {
      if (task != null) {
        // a backstop: closing twice is harmless
        task.addTaskCompletionListener((TaskCompletionListener) t -> batches.close());
      }
      return work.apply(batches);
    }
  }

  /** Packs and evaluates every row; the partition's state. */
  PartitionStats run(Iterator<InternalRow> input) {
    while (input.hasNext()) {
      add(input.next());
    }
    flush();
    return scoring.stats();
  }

  /**
   * Packs and evaluates every row of the batches: logits from column {@code logitsColumn}, the
   * other columns (at {@link EvalSpec#LABEL} ...) from {@code scalars} of each batch row.
   */
  PartitionStats run(Iterator<ColumnarBatch> input, int logitsColumn,
      UnsafeProjection scalars) {
    while (input.hasNext()) {
      add(input.next(), logitsColumn, scalars);
    }
    flush();
    return scoring.stats();
  }

  /** Packs a row (columns as {@link EvalSpec#LOGITS} ...), evaluating a full batch first. */
  void add(InternalRow in) {
    ArrayData values = null;
    ArrayData indices = null;
    int n = 0;
    if (!in.isNullAt(EvalSpec.LOGITS)) {
      if (spec.logits() == EvalSpec.LogitsKind.VECTOR) {
        // MLlib's VectorUDT: struct<type: byte (0 sparse, 1 dense), size, indices, values>
        InternalRow v = in.getStruct(EvalSpec.LOGITS, 4);
        values = v.getArray(3);
        if (v.getByte(0) == 0) {
          indices = v.getArray(2);
          n = v.getInt(1);
        } else {
          n = values.numElements();
        }
      } else {
        values = in.getArray(EvalSpec.LOGITS);
        n = values.numElements();
      }
    }
    add(values, indices, n, in);
  }

  /** Packs a row's logits (null, dense, or sparse with indices) and its other columns. */
  private void add(ArrayData values, ArrayData indices, int n, InternalRow in) {
    beginRow(n);
    if (values == null) {
      logits.setNull(rows);
    } else {
      logits.startNewValue(rows);
      appendElements(values, indices, n);
      logits.endValue(rows, n);
    }
    addScalars(in);
  }

  /**
   * Packs a Spark columnar batch's rows. The logits of consecutive rows, consecutive in the
   * batch's vector as the Parquet reader writes them, are copied into the Arrow buffer together.
   */
  void add(ColumnarBatch batch, int logitsColumn, UnsafeProjection scalars) {
    ColumnVector column = batch.column(logitsColumn);
    if (!(column instanceof WritableColumnVector)) {
      for (int i = 0; i < batch.numRows(); i++) {
        boolean isNull = column.isNullAt(i);
        ArrayData values = isNull ? null : column.getArray(i);
        add(values, null, isNull ? 0 : values.numElements(), scalars.apply(batch.getRow(i)));
      }
      return;
    }
    WritableColumnVector vector = (WritableColumnVector) column;
    pendingSource = vector.arrayData();
    // the batch's null element slots not yet found, and the slots looked at: the reader also
    // gives a null or empty array a null slot, between the rows' elements
    int unseen = pendingSource.numNulls();
    int seenTo = 0;
    for (int i = 0; i < batch.numRows(); i++) {
      boolean isNull = vector.isNullAt(i);
      int n = isNull ? 0 : vector.getArrayLength(i);
      beginRow(n);
      if (isNull) {
        logits.setNull(rows);
      } else {
        int from = vector.getArrayOffset(i);
        if (pendingCount > 0 && from != pendingFrom + pendingCount) {
          copyPending();
        }
        if (pendingCount == 0) {
          pendingFrom = from;
          pendingAt = elements;
        }
        pendingCount += n;
        logits.startNewValue(rows);
        logits.endValue(rows, n);
        int found = 0;
        if (unseen > 0) {
          if (from >= seenTo) {
            unseen -= countNulls(pendingSource, seenTo, from);
            seenTo = from + n;
          } else {
            // not in order: look at every row
            unseen = Integer.MAX_VALUE;
          }
          found = countNulls(pendingSource, from, from + n);
          unseen -= found;
        }
        markNulls(found > 0 ? vector.getArray(i) : null, n);
        elements += n;
      }
      addScalars(scalars.apply(batch.getRow(i)));
    }
    // the batch's vectors are reused for the next one
    copyPending();
    pendingSource = null;
  }

  private static int countNulls(WritableColumnVector v, int from, int to) {
    int nulls = 0;
    for (int j = from; j < to; j++) {
      nulls += v.isNullAt(j) ? 1 : 0;
    }
    return nulls;
  }

  /** Makes room for a row of {@code n} elements, evaluating the batch first if it is full. */
  private void beginRow(int n) {
    if (rows > 0 && (rows == spec.batchRows()
        || (long) (elements + n) * elementBytes > spec.batchBytes())) {
      flush();
    }
    ensureRowCapacity();
  }

  /** The row's label, id, file and row index; completes the row. */
  private void addScalars(InternalRow in) {
    setOrNull(labels, in, EvalSpec.LABEL);
    setOrNull(ids, in, EvalSpec.ID);
    rowIndices.setSafe(rows, in.getLong(EvalSpec.ROW_INDEX));
    UTF8String file = in.getUTF8String(EvalSpec.FILE);
    if (!file.equals(lastFile)) {
      lastFile = file.clone();
    }
    files[rows] = lastFile;
    rows++;
  }

  private void setOrNull(BigIntVector v, InternalRow in, int ordinal) {
    if (in.isNullAt(ordinal)) {
      v.setNull(rows);
    } else {
      v.setSafe(rows, in.getLong(ordinal));
    }
  }

  /** The address of the Arrow logits buffer, made to hold at least {@code count} elements. */
  private long reserve(int count) {
    BaseFixedWidthVector data = (BaseFixedWidthVector) logits.getDataVector();
    while (data.getValueCapacity() < count) {
      data.reAlloc();
    }
    return data.getDataBufferAddress();
  }

  /** Copies the pending elements of the current Spark batch into the Arrow buffer. */
  private void copyPending() {
    if (pendingCount == 0) {
      return;
    }
    long at = reserve(pendingAt + pendingCount) + (long) pendingAt * elementBytes;
    long bytes = (long) pendingCount * elementBytes;
    if (pendingSource instanceof OffHeapColumnVector) {
      Platform.copyMemory(null, ((OffHeapColumnVector) pendingSource).valuesNativeAddress()
          + (long) pendingFrom * elementBytes, null, at, bytes);
    } else if (elementBytes == 4) {
      Platform.copyMemory(pendingSource.getFloats(pendingFrom, pendingCount),
          Platform.FLOAT_ARRAY_OFFSET, null, at, bytes);
    } else {
      Platform.copyMemory(pendingSource.getDoubles(pendingFrom, pendingCount),
          Platform.DOUBLE_ARRAY_OFFSET, null, at, bytes);
    }
    pendingCount = 0;
  }

  private void appendElements(ArrayData values, ArrayData indices, int n) {
    long at = reserve(elements + n) + (long) elements * elementBytes;
    boolean anyNull = false;
    if (indices != null) {
      // sparse: zeros, then the given values
      Platform.setMemory(at, (byte) 0, (long) n * elementBytes);
      for (int j = 0; j < indices.numElements(); j++) {
        int i = indices.getInt(j);
        if (i >= 0 && i < n) {
          Platform.putDouble(null, at + 8L * i, values.getDouble(j));
        }
      }
    } else if (values instanceof UnsafeArrayData) {
      anyNull = UnsafeArrays.copy((UnsafeArrayData) values, null, at, elementBytes);
    } else {
      // a null element is written at flush
      for (int i = 0; i < n; i++) {
        if (values.isNullAt(i)) {
          anyNull = true;
        } else if (elementBytes == 4) {
          Platform.putFloat(null, at + 4L * i, values.getFloat(i));
        } else {
          Platform.putDouble(null, at + 8L * i, values.getDouble(i));
        }
      }
    }
    markNulls(anyNull ? values : null, n);
    elements += n;
  }

  /**
   * Notes the null elements of the row's {@code n} values (null: it has none) and returns how
   * many; a null element reads as NaN, is an incident, and is null in Arrow.
   */
  private int markNulls(ArrayData values, int n) {
    int found = 0;
    if (values != null) {
      for (int i = 0; i < n; i++) {
        if (values.isNullAt(i)) {
          found++;
          addNullPosition(elements + i);
        }
      }
    }
    nullElement[rows] = found > 0;
    nanElement[rows] = found > 0 && RowEvaluator.hasNaN(values, elementBytes == 4);
    return found;
  }

  private void addNullPosition(int position) {
    if (nulls == nullPositions.length) {
      nullPositions = Arrays.copyOf(nullPositions, 2 * nulls);
    }
    nullPositions[nulls++] = position;
  }

  private void ensureRowCapacity() {
    if (rows == files.length) {
      files = Arrays.copyOf(files, 2 * rows);
      nullElement = Arrays.copyOf(nullElement, 2 * rows);
      nanElement = Arrays.copyOf(nanElement, 2 * rows);
    }
  }

  /** Completes the batch's vectors, evaluates its rows, and empties it. */
  void flush() {
    if (rows == 0) {
      return;
    }
    copyPending();
    BaseFixedWidthVector data = (BaseFixedWidthVector) logits.getDataVector();
    // every element valid but the null ones, which read as NaN
    data.getValidityBuffer().setOne(0L, (elements + 7L) / 8);
    long address = reserve(elements);
    for (int i = 0; i < nulls; i++) {
      BitVectorHelper.unsetBit(data.getValidityBuffer(), nullPositions[i]);
      if (elementBytes == 4) {
        Platform.putFloat(null, address + 4L * nullPositions[i], Float.NaN);
      } else {
        Platform.putDouble(null, address + 8L * nullPositions[i], Double.NaN);
      }
    }
    data.setValueCount(elements);
    logits.setValueCount(rows);
    labels.setValueCount(rows);
    ids.setValueCount(rows);
    rowIndices.setValueCount(rows);
    evaluateBatch();
    batches++;
    largestBatchBytes = Math.max(largestBatchBytes, (long) elements * elementBytes);
    logits.reset();
    labels.reset();
    ids.reset();
    rowIndices.reset();
    rows = 0;
    elements = 0;
    nulls = 0;
  }

  /** The kernel over the batch: the flat logits buffer and the list offsets. */
  private void evaluateBatch() {
    if (offsets.length < rows + 1) {
      offsets = new int[Math.max(rows + 1, 2 * offsets.length)];
    }
    Platform.copyMemory(null, logits.getOffsetBufferAddress(), offsets,
        Platform.INT_ARRAY_OFFSET, 4L * (rows + 1));
    long dataAddress = ((BaseFixedWidthVector) logits.getDataVector())
        .getDataBufferAddress();
    if (elementBytes == 4) {
      if (floats.length < elements) {
        floats = new float[Math.max(elements, 2 * floats.length)];
      }
      Platform.copyMemory(null, dataAddress, floats, Platform.FLOAT_ARRAY_OFFSET, 4L * elements);
    } else {
      if (doubles.length < elements) {
        doubles = new double[Math.max(elements, 2 * doubles.length)];
      }
      Platform.copyMemory(null, dataAddress, doubles, Platform.DOUBLE_ARRAY_OFFSET,
          8L * elements);
    }
    for (int i = 0; i < rows; i++) {
      evaluateRow(i);
    }
  }

  private void evaluateRow(int i) {
    boolean labelNull = labels.isNull(i);
    long label = labelNull ? 0 : labels.get(i);
    rowOffset = offsets[i];
    rowLength = offsets[i + 1] - rowOffset;
    int labelState = !spec.hasLabel() ? RowResult.LABEL_ABSENT
        : labelNull ? RowResult.LABEL_NULL : RowResult.LABEL_PRESENT;
    result.compute(logits.isNull(i) ? null : batchRow, nullElement[i], nanElement[i], labelState,
        label, spec.temperature(), spec.naiveDtype());
    boolean idNull = ids.isNull(i);
    scoring.row(result, labelNull, label, idNull, idNull ? 0 : ids.get(i), files[i],
        rowIndices.get(i));
  }

  private void analyzeRow(SoftmaxRow row, double temperature) {
    if (elementBytes == 4) {
      row.analyze(floats, rowOffset, rowLength, temperature);
    } else {
      row.analyze(doubles, rowOffset, rowLength, temperature);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(logits);
    closeQuietly(labels);
    closeQuietly(ids);
    closeQuietly(rowIndices);
    // throws if anything is still allocated: a leak fails the task
    allocator.close();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // the allocator's close reports what is left
      }
    }
  }
}
