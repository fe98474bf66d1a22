package org.stablesoftmax.arrow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.execution.vectorized.OffHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.udf.RowEvaluator;
import org.stablesoftmax.udf.UnsafeArrays;
import scala.collection.JavaConverters;

/**
 * Packs a partition's rows (columns at {@link InputColumns#LOGITS} ...) into Arrow vectors, in
 * batches bounded by bytes of logits and by rows, and hands each full batch, as a
 * {@link LogitsBatch}, to a sink; it knows nothing of what the sink does with it.
 *
 * <p>Logits become a {@link ListVector} of float or double (a flat buffer and int32 offsets),
 * labels, ids and row indices {@link BigIntVector}s. They come either from the Parquet reader's
 * columnar batches, copied into the Arrow buffer with one memory copy per run of consecutive rows,
 * or from Spark's internal rows, with one copy per row from {@link UnsafeArrayData}. No element
 * is ever boxed. A null element is null in Arrow and reads as NaN in the buffer. Input columns to
 * keep ({@link StageSpec#kept()}) are packed beside them by Spark's own {@code ArrowWriter}.
 */
public final class ArrowLogitsWriter implements AutoCloseable {

  /** Where full batches go; the batch's vectors are reused once it returns. */
  public interface Sink {
    void batch(LogitsBatch batch);
  }

  private final StageSpec spec;
  private final int elementBytes;
  private final Sink sink;
  private final ListVector logits;
  private final BigIntVector labels;
  private final BigIntVector ids;
  private final BigIntVector rowIndices;
  /** The kept columns' vectors and Spark's writer of them, and their projection; or null. */
  private final VectorSchemaRoot kept;
  private final ArrowWriter keptWriter;
  private final UnsafeProjection keptColumns;
  private final LogitsBatch view = new View();
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
  private int batches;
  private long largestBatchBytes;

  /** A writer whose vectors come from {@code allocator}; closing it frees them. */
  public ArrowLogitsWriter(StageSpec spec, BufferAllocator allocator, Sink sink) {
    this.spec = spec;
    this.elementBytes = spec.logits().bytes();
    this.sink = sink;
    ListVector list = null;
    BigIntVector a = null;
    BigIntVector b = null;
    BigIntVector c = null;
    VectorSchemaRoot k = null;
    try {
      list = ListVector.empty("logits", allocator);
      list.addOrGetVector(FieldType.nullable(new ArrowType.FloatingPoint(
          elementBytes == 4 ? FloatingPointPrecision.SINGLE : FloatingPointPrecision.DOUBLE)));
      a = new BigIntVector("label", allocator);
      b = new BigIntVector("id", allocator);
      c = new BigIntVector("row_index", allocator);
      if (!spec.kept().isEmpty()) {
        k = VectorSchemaRoot.create(arrowSchema(spec.kept()), allocator);
      }
    } catch (RuntimeException | Error e) {
      for (AutoCloseable v : new AutoCloseable[] {list, a, b, c, k}) {
        closeQuietly(v);
      }
      throw e;
    }
    this.logits = list;
    this.labels = a;
    this.ids = b;
    this.rowIndices = c;
    this.kept = k;
    if (k == null) {
      this.keptWriter = null;
      this.keptColumns = null;
    } else {
      this.keptWriter = ArrowWriter.create(k);
      List<Expression> columns = new ArrayList<>();
      StructField[] fields = spec.kept().fields();
      for (int i = 0; i < fields.length; i++) {
        columns.add(new BoundReference(InputColumns.KEPT + i, fields[i].dataType(),
            fields[i].nullable()));
      }
      this.keptColumns = UnsafeProjection.create(
          JavaConverters.asScalaBuffer(columns).toSeq());
    }
  }

  /**
   * The Arrow schema of Spark's columns, as Spark's own Arrow conversion makes it (a user-defined
   * type, such as an MLlib vector, as the type it is stored as).
   */
  static Schema arrowSchema(StructType columns) {
    StructType stored = new StructType();
    for (StructField f : columns.fields()) {
      DataType t = f.dataType() instanceof UserDefinedType
          ? ((UserDefinedType<?>) f.dataType()).sqlType() : f.dataType();
      stored = stored.add(f.name(), t, f.nullable());
    }
    return ArrowUtils.toArrowSchema(stored, "UTC", false, false);
  }

  /** Batches handed to the sink so far. */
  public int batches() {
    return batches;
  }

  /** The most logits bytes one batch held. */
  public long largestBatchBytes() {
    return largestBatchBytes;
  }

  /** Packs a row, handing a full batch to the sink first. */
  public void add(InternalRow in) {
    add(in.isNullAt(InputColumns.LOGITS) ? null : in.getArray(InputColumns.LOGITS), in);
  }

  /** Packs a row's logits (null: null logits) and the other columns of {@code in}. */
  private void add(ArrayData values, InternalRow in) {
    add(values, in, in.getUTF8String(InputColumns.FILE));
  }

  /** {@link #add(ArrayData, InternalRow)}, the row's file given. */
  private void add(ArrayData values, InternalRow in, UTF8String file) {
    beginRow(values == null ? 0 : values.numElements());
    if (values == null) {
      logits.setNull(rows);
    } else {
      logits.startNewValue(rows);
      appendElements(values);
      logits.endValue(rows, values.numElements());
    }
    addScalars(in, file);
  }

  /**
   * Packs a Spark columnar batch's rows, its columns read as {@code columns} says. The logits of
   * consecutive rows, consecutive in the batch's vector as the Parquet reader writes them, are
   * copied into the Arrow buffer together.
   */
  public void add(ColumnarBatch batch, BatchColumns columns) {
    if (batch.numRows() == 0) {
      return;
    }
    ColumnVector column = batch.column(columns.logits());
    UnsafeProjection scalars = columns.perRow();
    UTF8String file = sameFile(columns.file().apply(batch.getRow(0)).getUTF8String(0));
    if (!(column instanceof WritableColumnVector)) {
      for (int i = 0; i < batch.numRows(); i++) {
        add(column.isNullAt(i) ? null : column.getArray(i), scalars.apply(batch.getRow(i)),
            file);
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
      addScalars(scalars.apply(batch.getRow(i)), file);
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

  /** Makes room for a row of {@code n} elements, handing the batch over first if it is full. */
  private void beginRow(int n) {
    if (rows > 0 && (rows == spec.batchRows()
        || (long) (elements + n) * elementBytes > spec.batchBytes())) {
      flush();
    }
    if (rows == files.length) {
      files = Arrays.copyOf(files, 2 * rows);
      nullElement = Arrays.copyOf(nullElement, 2 * rows);
      nanElement = Arrays.copyOf(nanElement, 2 * rows);
    }
  }

  /** The row's label, id and row index from {@code in}, and its file; completes the row. */
  private void addScalars(InternalRow in, UTF8String file) {
    setOrNull(labels, in, InputColumns.LABEL);
    setOrNull(ids, in, InputColumns.ID);
    rowIndices.setSafe(rows, in.getLong(InputColumns.ROW_INDEX));
    files[rows] = sameFile(file);
    if (keptWriter != null) {
      keptWriter.write(keptColumns.apply(in));
    }
    rows++;
  }

  /** The file, as the one kept copy of it while consecutive rows share it. */
  private UTF8String sameFile(UTF8String file) {
    if (file != lastFile && !file.equals(lastFile)) {
      lastFile = file.clone();
    }
    return lastFile;
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

  private void appendElements(ArrayData values) {
    int n = values.numElements();
    long at = reserve(elements + n) + (long) elements * elementBytes;
    boolean anyNull = UnsafeArrays.copyLogits(values, elementBytes, null, at);
    markNulls(anyNull ? values : null, n);
    elements += n;
  }

  /**
   * Notes the null elements of the row's {@code n} values (null: it has none); a null element
   * reads as NaN, is an incident, and is null in Arrow.
   */
  private void markNulls(ArrayData values, int n) {
    int found = 0;
    if (values != null) {
      for (int i = 0; i < n; i++) {
        if (values.isNullAt(i)) {
          found++;
          if (nulls == nullPositions.length) {
            nullPositions = Arrays.copyOf(nullPositions, 2 * nulls);
          }
          nullPositions[nulls++] = elements + i;
        }
      }
    }
    nullElement[rows] = found > 0;
    nanElement[rows] = found > 0 && RowEvaluator.hasNaN(values, elementBytes == 4);
  }

  /** Completes the batch's vectors, hands it to the sink, and empties it. */
  public void flush() {
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
    if (keptWriter != null) {
      keptWriter.finish();
    }
    sink.batch(view);
    batches++;
    largestBatchBytes = Math.max(largestBatchBytes, (long) elements * elementBytes);
    logits.reset();
    labels.reset();
    ids.reset();
    rowIndices.reset();
    if (keptWriter != null) {
      keptWriter.reset();
    }
    rows = 0;
    elements = 0;
    nulls = 0;
  }

  /** The batch as the sink reads it: the writer's own vectors, valid until the sink returns. */
  private final class View implements LogitsBatch {
    @Override
    public int rows() {
      return rows;
    }

    @Override
    public int elements() {
      return elements;
    }

    @Override
    public int elementBytes() {
      return elementBytes;
    }

    @Override
    public ListVector logits() {
      return logits;
    }

    @Override
    public boolean nullElement(int row) {
      return nullElement[row];
    }

    @Override
    public boolean nanElement(int row) {
      return nanElement[row];
    }

    @Override
    public boolean labelNull(int row) {
      return labels.isNull(row);
    }

    @Override
    public long label(int row) {
      return labels.isNull(row) ? 0 : labels.get(row);
    }

    @Override
    public boolean idNull(int row) {
      return ids.isNull(row);
    }

    @Override
    public long id(int row) {
      return ids.isNull(row) ? 0 : ids.get(row);
    }

    @Override
    public UTF8String file(int row) {
      return files[row];
    }

    @Override
    public long rowIndex(int row) {
      return rowIndices.get(row);
    }

    @Override
    public VectorSchemaRoot kept() {
      return kept;
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
    closeQuietly(kept);
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
