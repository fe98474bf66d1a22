package org.stablesoftmax.arrow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.spark.unsafe.Platform;
import org.stablesoftmax.kernel.BufferElement;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.kernel.SoftmaxRow;

/**
 * Runs the kernel over each batch's rows and hands every row's {@link RowResult} to a consumer
 * (an aggregate, an output writer), which it knows nothing else of.
 *
 * <p>The kernel reads each row from the batch's Arrow data buffer where it is (a
 * {@link ByteBuffer} over it); only the list offsets are copied, once per batch. No element is
 * boxed.
 */
public final class ArrowSoftmaxStage implements ArrowLogitsWriter.Sink {

  /** What takes each row's result. */
  public interface RowConsumer {
    /** A batch begins: its rows follow. */
    default void beginBatch(LogitsBatch batch) {}

    /**
     * Row {@code row} of {@code batch} came to {@code result} (reused after this returns); the
     * stage's {@link #logSoftmax} and {@link #topK} answer for this row until this returns.
     */
    void row(LogitsBatch batch, int row, RowResult result);

    /** The batch's rows are all done; its vectors are reused once this returns. */
    default void endBatch(LogitsBatch batch) {}
  }

  private final StageSpec spec;
  private final RowConsumer consumer;
  private final SoftmaxRow kernel = new SoftmaxRow();
  private final RowResult result = new RowResult(kernel);
  private final RowResult.Logits current = this::analyze;
  private int[] offsets = new int[0];
  private ByteBuffer data;
  private ByteBuffer softmaxOut;
  private BufferElement type;
  private int rowOffset;
  private int rowLength;
  /** The current row's soft target, read from the batch's kept target vector. */
  private final ListRow target = new ListRow();

  public ArrowSoftmaxStage(StageSpec spec, RowConsumer consumer) {
    this.spec = spec;
    this.consumer = consumer;
    result.lossOptions(spec.lossOptions()).scores(spec.scores());
  }

  @Override
  public void batch(LogitsBatch batch) {
    int rows = batch.rows();
    if (offsets.length < rows + 1) {
      offsets = new int[Math.max(rows + 1, 2 * offsets.length)];
    }
    Platform.copyMemory(null, batch.logits().getOffsetBufferAddress(), offsets,
        Platform.INT_ARRAY_OFFSET, 4L * (rows + 1));
    // the kernel reads the Arrow data buffer where it is
    type = batch.elementBytes() == 4 ? BufferElement.FLOAT32 : BufferElement.FLOAT64;
    data = ((BaseFixedWidthVector) batch.logits().getDataVector()).getDataBuffer()
        .nioBuffer(0, batch.elements() * batch.elementBytes())
        .order(ByteOrder.LITTLE_ENDIAN);
    consumer.beginBatch(batch);
    ListVector targets = spec.target() < 0 ? null
        : (ListVector) batch.kept().getVector(spec.target());
    for (int i = 0; i < rows; i++) {
      rowOffset = offsets[i];
      rowLength = offsets[i + 1] - rowOffset;
      RowResult.Logits logits = batch.logits().isNull(i) ? null : current;
      if (targets != null) {
        int n = targets.isNull(i) ? -1 : target.read(targets, i);
        result.computeWithTarget(logits, batch.nullElement(i), batch.nanElement(i),
            n < 0 ? null : target.values(), n, spec.temperature(), spec.naiveDtype());
      } else {
        boolean labelNull = batch.labelNull(i);
        int labelState = !spec.hasLabel() ? RowResult.LABEL_ABSENT
            : labelNull ? RowResult.LABEL_NULL : RowResult.LABEL_PRESENT;
        result.compute(logits, batch.nullElement(i), batch.nanElement(i), labelState,
            batch.label(i), spec.temperature(), spec.naiveDtype());
      }
      consumer.row(batch, i, result);
    }
    consumer.endBatch(batch);
  }

  /**
   * From now on (null: no more), as the kernel analyzes each row with logits at the stage's
   * temperature, it writes the row's softmax into {@code out}, at the row's own element offset in
   * the batch (an output list of the batch's offsets), in the row's element type: the bits of
   * {@link SoftmaxRow#softmax(ByteBuffer, int, int, BufferElement, double, ByteBuffer, int)}, in
   * the analysis's own passes.
   */
  public void softmaxInto(ByteBuffer out) {
    softmaxOut = out;
  }

  /**
   * Writes the current row's log-softmax at the stage's temperature into {@code out}, as
   * {@link #softmaxInto} writes the softmax.
   */
  public void logSoftmax(ByteBuffer out) {
    kernel.logSoftmax(data, rowOffset, rowLength, type, spec.temperature(), out, rowOffset);
  }

  /**
   * Writes the current row's top {@code min(k, C)} classes into {@code out} and returns how many
   * ({@link SoftmaxRow#topK}).
   */
  public int topK(int k, int[] out) {
    return kernel.topK(k, out, 0);
  }

  private void analyze(SoftmaxRow row, double temperature) {
    if (softmaxOut != null && temperature == spec.temperature()) {
      // the softmax's passes are the analysis: no pass of its own
      row.softmax(data, rowOffset, rowLength, type, temperature, softmaxOut, rowOffset);
    } else {
      row.analyze(data, rowOffset, rowLength, type, temperature);
    }
  }
}
