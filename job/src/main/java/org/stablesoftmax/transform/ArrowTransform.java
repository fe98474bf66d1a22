package org.stablesoftmax.transform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.stablesoftmax.arrow.ArrowLogitsWriter;
import org.stablesoftmax.arrow.ArrowSoftmaxStage;
import org.stablesoftmax.arrow.BatchColumns;
import org.stablesoftmax.arrow.LogitsBatch;
import org.stablesoftmax.evaluate.RowScoring;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.stats.PartitionStats;

/**
 * The Arrow engine's transform of one partition, as an iterator of output rows: the input rows
 * packed by an {@link ArrowLogitsWriter}, run through the {@link ArrowSoftmaxStage}, and each
 * row's outputs written by the kernel into Arrow vectors. A finished batch, its kept columns'
 * buffers transferred from the writer and its output vectors, becomes a {@link ColumnarBatch} of
 * {@link ArrowColumnVector}s whose rows Spark's Parquet writer reads; its memory is freed once
 * they are read. Every row is also counted as {@code evaluate} counts it, by {@link RowScoring}.
 *
 * <p>Rows are valid until the next call of {@link #hasNext} (as Spark's row iterators' are).
 */
final class ArrowTransform implements Iterator<InternalRow>, ArrowSoftmaxStage.RowConsumer,
    AutoCloseable {

  /** One more unit of the input (a row, a columnar batch) packed into the writer. */
  interface Feed {
    /** Packs the next unit; false when there is none left. */
    boolean next(ArrowLogitsWriter writer);
  }

  private static final byte[][] KIND_NAMES = new byte[IncidentKind.values().length][];

  static {
    for (IncidentKind k : IncidentKind.values()) {
      KIND_NAMES[k.ordinal()] = k.name().getBytes(StandardCharsets.UTF_8);
    }
  }

  private final TransformSpec spec;
  private final BufferAllocator allocator;
  private final ArrowSoftmaxStage stage;
  private final ArrowLogitsWriter writer;
  private final Feed feed;
  private final RowScoring scoring;
  private final Runnable done;
  private final ArrayDeque<ColumnarBatch> ready = new ArrayDeque<>();
  private final int elementBytes;
  private int[] topK;

  /** The current batch's output vectors, in the order of the spec's outputs. */
  private FieldVector[] outputs;
  private ByteBuffer[] outputData;
  private ColumnarBatch current;
  private Iterator<InternalRow> currentRows;
  private boolean inputDone;
  private boolean closed;

  /**
   * @param done run once, when the last row has been read (before the memory is freed)
   */
  ArrowTransform(TransformSpec spec, BufferAllocator allocator, Feed feed, Runnable done) {
    this.spec = spec;
    this.allocator = allocator;
    this.feed = feed;
    this.done = done;
    this.scoring = new RowScoring(spec.counting());
    this.elementBytes = spec.stage().logits().bytes();
    this.topK = new int[Math.min(spec.topK(), 1024)];
    this.stage = new ArrowSoftmaxStage(spec.stage(), this);
    this.writer = new ArrowLogitsWriter(spec.stage(), allocator, stage);
  }

  /** The partition's counts so far. */
  PartitionStats stats() {
    return scoring.stats();
  }

  /** The Arrow batches the rows have been packed into so far. */
  int batches() {
    return writer.batches();
  }

  // ---------------------------------------------------------------- the rows out

  @Override
  public boolean hasNext() {
    while (true) {
      if (currentRows != null && currentRows.hasNext()) {
        return true;
      }
      if (current != null) {
        current.close();
        current = null;
        currentRows = null;
      }
      if (!ready.isEmpty()) {
        current = ready.poll();
        currentRows = current.rowIterator();
      } else if (!inputDone) {
        if (!feed.next(writer)) {
          writer.flush();
          inputDone = true;
        }
      } else {
        if (!closed) {
          done.run();
          close();
        }
        return false;
      }
    }
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return currentRows.next();
  }

  // ---------------------------------------------------------------- the stage's rows in

  @Override
  public void beginBatch(LogitsBatch batch) {
    int rows = batch.rows();
    List<Output> list = spec.outputs();
    outputs = new FieldVector[list.size()];
    outputData = new ByteBuffer[list.size()];
    try {
      for (int o = 0; o < outputs.length; o++) {
        outputs[o] = allocate(list.get(o), rows, batch.elements());
        if (list.get(o) == Output.SOFTMAX || list.get(o) == Output.LOG_SOFTMAX) {
          BaseFixedWidthVector data = (BaseFixedWidthVector) ((ListVector) outputs[o])
              .getDataVector();
          outputData[o] = data.getDataBuffer().nioBuffer(0, batch.elements() * elementBytes)
              .order(ByteOrder.LITTLE_ENDIAN);
        }
      }
    } catch (RuntimeException | Error e) {
      closeOutputs();
      throw e;
    }
    int softmax = list.indexOf(Output.SOFTMAX);
    stage.softmaxInto(softmax < 0 ? null : outputData[softmax]);
  }

  /** A vector for {@code rows} values of an output, with room for {@code elements} logits. */
  private FieldVector allocate(Output output, int rows, int elements) {
    String name = output.column();
    switch (output) {
      case SOFTMAX:
      case LOG_SOFTMAX: {
        ListVector list = list(name, rows, new ArrowType.FloatingPoint(elementBytes == 4
            ? FloatingPointPrecision.SINGLE : FloatingPointPrecision.DOUBLE));
        BaseFixedWidthVector data = (BaseFixedWidthVector) list.getDataVector();
        data.allocateNew(Math.max(elements, 1));
        // every probability is a value
        data.getValidityBuffer().setOne(0L, (elements + 7L) / 8);
        return list;
      }
      case TOP_K: {
        ListVector list = list(name, rows, new ArrowType.Int(32, true));
        ((IntVector) list.getDataVector()).allocateNew(
            Math.max(1, rows * Math.min(spec.topK(), 16)));
        return list;
      }
      case INCIDENTS: {
        ListVector list = list(name, rows, ArrowType.Utf8.INSTANCE);
        list.getDataVector().allocateNew();
        return list;
      }
      case PREDICTION: {
        IntVector v = new IntVector(name, allocator);
        v.allocateNew(rows);
        return v;
      }
      default: {
        Float8Vector v = new Float8Vector(name, allocator);
        v.allocateNew(rows);
        return v;
      }
    }
  }

  /** A list vector with room for {@code rows} lists of non-null {@code element}s (unallocated). */
  private ListVector list(String name, int rows, ArrowType element) {
    ListVector list = ListVector.empty(name, allocator);
    list.setInitialCapacity(rows);
    list.allocateNew();
    list.addOrGetVector(FieldType.notNullable(element));
    return list;
  }

  @Override
  public void row(LogitsBatch batch, int row, RowResult result) {
    scoring.row(result, batch.labelNull(row), batch.label(row), batch.idNull(row),
        batch.id(row), batch.file(row), batch.rowIndex(row));
    boolean isNull = result.logitsNull();
    List<Output> list = spec.outputs();
    for (int o = 0; o < outputs.length; o++) {
      FieldVector v = outputs[o];
      switch (list.get(o)) {
        case SOFTMAX:
        case LOG_SOFTMAX:
          if (isNull) {
            ((ListVector) v).setNull(row);
          } else {
            ListVector l = (ListVector) v;
            l.startNewValue(row);
            if (list.get(o) == Output.LOG_SOFTMAX) {
              stage.logSoftmax(outputData[o]);
            }
            // the softmax was written as the row was analyzed
            l.endValue(row, result.length());
          }
          break;
        case TOP_K:
          if (isNull) {
            ((ListVector) v).setNull(row);
          } else {
            topK(row, (ListVector) v, result.length());
          }
          break;
        case INCIDENTS:
          incidents(row, (ListVector) v, result.incidents());
          break;
        case PREDICTION:
          if (result.predictionNull()) {
            ((IntVector) v).setNull(row);
          } else {
            ((IntVector) v).set(row, result.argmax());
          }
          break;
        case LOSS:
          setOrNull((Float8Vector) v, row, result.lossNull(), result.loss());
          break;
        case LOGSUMEXP:
          setOrNull((Float8Vector) v, row, isNull, result.logSumExp());
          break;
        case ENTROPY:
          setOrNull((Float8Vector) v, row, isNull, result.entropy());
          break;
        case MAX_PROBABILITY:
          setOrNull((Float8Vector) v, row, isNull, result.maxProbability());
          break;
        default:
          throw new AssertionError(list.get(o));
      }
    }
  }

  private static void setOrNull(Float8Vector v, int row, boolean isNull, double value) {
    if (isNull) {
      v.setNull(row);
    } else {
      v.set(row, value);
    }
  }

  private void topK(int row, ListVector list, int length) {
    int k = (int) Math.min(spec.topK(), length);
    if (topK.length < k) {
      topK = new int[Math.max(k, 2 * topK.length)];
    }
    int n = stage.topK(k, topK);
    int at = list.startNewValue(row);
    IntVector data = (IntVector) list.getDataVector();
    for (int j = 0; j < n; j++) {
      data.setSafe(at + j, topK[j]);
    }
    list.endValue(row, n);
  }

  private static void incidents(int row, ListVector list, int bits) {
    int at = list.startNewValue(row);
    VarCharVector data = (VarCharVector) list.getDataVector();
    int n = 0;
    for (IncidentKind k : IncidentKind.values()) {
      if (k.in(bits)) {
        data.setSafe(at + n++, KIND_NAMES[k.ordinal()]);
      }
    }
    list.endValue(row, n);
  }

  @Override
  public void endBatch(LogitsBatch batch) {
    int rows = batch.rows();
    List<ColumnVector> columns = new ArrayList<>();
    try {
      if (batch.kept() != null) {
        for (FieldVector kept : batch.kept().getFieldVectors()) {
          // the kept columns' buffers move to the output batch; the writer's vectors start anew
          var move = kept.getTransferPair(allocator);
          move.transfer();
          columns.add(new ArrowColumnVector((ValueVector) move.getTo()));
        }
      }
      for (int o = 0; o < outputs.length; o++) {
        FieldVector v = outputs[o];
        // a list's elements are counted from its offsets
        v.setValueCount(rows);
        columns.add(new ArrowColumnVector(v));
        outputs[o] = null;
      }
    } catch (RuntimeException | Error e) {
      columns.forEach(ColumnVector::close);
      closeOutputs();
      throw e;
    }
    ready.add(new ColumnarBatch(columns.toArray(new ColumnVector[0]), rows));
  }

  private void closeOutputs() {
    if (outputs != null) {
      for (FieldVector v : outputs) {
        if (v != null) {
          v.close();
        }
      }
      outputs = null;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (current != null) {
      current.close();
      current = null;
    }
    ready.forEach(ColumnarBatch::close);
    ready.clear();
    closeOutputs();
    writer.close();
    // throws if anything is still allocated: a leak fails the task
    allocator.close();
  }

  /** A feed of Spark's rows. */
  static Feed rows(Iterator<InternalRow> input) {
    return w -> {
      if (!input.hasNext()) {
        return false;
      }
      w.add(input.next());
      return true;
    };
  }

  /** A feed of a columnar scan's batches. */
  static Feed batches(Iterator<ColumnarBatch> input, BatchColumns columns) {
    return w -> {
      if (!input.hasNext()) {
        return false;
      }
      w.add(input.next(), columns);
      return true;
    };
  }
}
