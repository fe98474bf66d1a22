package org.stablesoftmax.evaluate;

import java.util.Arrays;
import java.util.Iterator;
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
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.TaskCompletionListener;
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
 * <p>Logits are copied from Spark's {@link UnsafeArrayData} into the Arrow buffer with one memory
 * copy per row, and from the Arrow buffer into a reused primitive array with one copy per batch
 * (the kernel reads Java arrays); no element is ever boxed. All Arrow memory comes from one child
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

  private int rows;
  private int elements;
  /** Batches evaluated, and the most logits bytes one held (for tests). */
  int batches;
  long largestBatchBytes;

  // the kernel's side
  private final SoftmaxRow row = new SoftmaxRow();
  private final RowScoring scoring;
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
   * Evaluates one partition: the function the Arrow engine runs in {@code mapPartitions}. The
   * child allocator is named after the partition and closed before this returns.
   */
  public static PartitionStats evaluate(Iterator<InternalRow> input, EvalSpec spec) {
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
      return batches.run(input);
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
    if (rows > 0 && (rows == spec.batchRows()
        || (long) (elements + n) * elementBytes > spec.batchBytes())) {
      flush();
    }
    ensureRowCapacity();
    if (values == null) {
      logits.setNull(rows);
    } else {
      int start = logits.startNewValue(rows);
      appendElements(values, indices, n);
      logits.endValue(rows, n);
      assert start + n == elements;
    }
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

  private void appendElements(ArrayData values, ArrayData indices, int n) {
    BaseFixedWidthVector data = (BaseFixedWidthVector) logits.getDataVector();
    while (data.getValueCapacity() < elements + n) {
      data.reAlloc();
    }
    long at = data.getDataBufferAddress() + (long) elements * elementBytes;
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
      for (int i = 0; i < n; i++) {
        anyNull |= values.isNullAt(i);
        if (elementBytes == 4) {
          Platform.putFloat(null, at + 4L * i, values.isNullAt(i) ? 0f : values.getFloat(i));
        } else {
          Platform.putDouble(null, at + 8L * i, values.isNullAt(i) ? 0.0 : values.getDouble(i));
        }
      }
    }
    if (anyNull) {
      // rare: a null element reads as NaN and is an incident; Arrow marks it null
      for (int i = 0; i < n; i++) {
        if (values.isNullAt(i)) {
          if (elementBytes == 4) {
            Platform.putFloat(null, at + 4L * i, Float.NaN);
          } else {
            Platform.putDouble(null, at + 8L * i, Double.NaN);
          }
          addNullPosition(elements + i);
        }
      }
    }
    nullElement[rows] = anyNull;
    nanElement[rows] = anyNull && RowEvaluator.hasNaN(values, elementBytes == 4);
    elements += n;
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
    BaseFixedWidthVector data = (BaseFixedWidthVector) logits.getDataVector();
    // every element valid but the null ones
    data.getValidityBuffer().setOne(0L, (elements + 7L) / 8);
    for (int i = 0; i < nulls; i++) {
      BitVectorHelper.unsetBit(data.getValidityBuffer(), nullPositions[i]);
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
    boolean labelled = spec.hasLabel() && !labelNull;
    int off = offsets[i];
    int len = offsets[i + 1] - off;
    boolean logitsNull = logits.isNull(i);
    if (!logitsNull) {
      // incidents are of the logits as stored: temperature 1, as softmax_incidents
      analyze(off, len, 1.0);
    }
    int labelState = !spec.hasLabel() ? RowEvaluator.LABEL_ABSENT
        : labelNull ? RowEvaluator.LABEL_NULL : RowEvaluator.LABEL_PRESENT;
    int bits = RowEvaluator.incidents(row, logitsNull, labelState, label, spec.naiveDtype(),
        nullElement[i], nanElement[i]);
    boolean idNull = ids.isNull(i);
    if (!scoring.row(bits, labelNull, label, idNull, idNull ? 0 : ids.get(i), files[i],
        rowIndices.get(i))) {
      return;
    }
    if (spec.temperature() != 1.0) {
      analyze(off, len, spec.temperature());
    }
    double loss = labelled ? row.crossEntropy((int) label) : Double.NaN;
    // the label's rank, as the udf engine's top_k (the same order, proven by the kernel tests)
    boolean inTopK = labelled && row.rank((int) label) < spec.topK();
    scoring.evaluated(loss, row.argmax(), label, inTopK, row.entropy(), row.maxProbability());
  }

  private void analyze(int off, int len, double temperature) {
    if (elementBytes == 4) {
      row.analyze(floats, off, len, temperature);
    } else {
      row.analyze(doubles, off, len, temperature);
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
