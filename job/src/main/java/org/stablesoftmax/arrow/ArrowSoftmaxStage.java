package org.stablesoftmax.arrow;

import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.spark.unsafe.Platform;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.kernel.SoftmaxRow;

/**
 * Runs the kernel over each batch's rows and hands every row's {@link RowResult} to a consumer
 * (an aggregate, an output writer), which it knows nothing else of.
 *
 * <p>The batch's logits buffer is copied into a reused primitive array once per batch (the
 * kernel reads Java arrays); no element is boxed.
 */
public final class ArrowSoftmaxStage implements ArrowLogitsWriter.Sink {

  /** What takes each row's result. */
  public interface RowConsumer {
    /** Row {@code row} of {@code batch} came to {@code result} (reused after this returns). */
    void row(LogitsBatch batch, int row, RowResult result);
  }

  private final StageSpec spec;
  private final RowConsumer consumer;
  private final RowResult result = new RowResult();
  private final RowResult.Logits current = this::analyze;
  private float[] floats = new float[0];
  private double[] doubles = new double[0];
  private int[] offsets = new int[0];
  private boolean isFloat;
  private int rowOffset;
  private int rowLength;

  public ArrowSoftmaxStage(StageSpec spec, RowConsumer consumer) {
    this.spec = spec;
    this.consumer = consumer;
  }

  @Override
  public void batch(LogitsBatch batch) {
    int rows = batch.rows();
    int elements = batch.elements();
    if (offsets.length < rows + 1) {
      offsets = new int[Math.max(rows + 1, 2 * offsets.length)];
    }
    Platform.copyMemory(null, batch.logits().getOffsetBufferAddress(), offsets,
        Platform.INT_ARRAY_OFFSET, 4L * (rows + 1));
    long dataAddress = ((BaseFixedWidthVector) batch.logits().getDataVector())
        .getDataBufferAddress();
    isFloat = batch.elementBytes() == 4;
    if (isFloat) {
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
      boolean labelNull = batch.labelNull(i);
      int labelState = !spec.hasLabel() ? RowResult.LABEL_ABSENT
          : labelNull ? RowResult.LABEL_NULL : RowResult.LABEL_PRESENT;
      rowOffset = offsets[i];
      rowLength = offsets[i + 1] - rowOffset;
      result.compute(batch.logits().isNull(i) ? null : current, batch.nullElement(i),
          batch.nanElement(i), labelState, batch.label(i), spec.temperature(),
          spec.naiveDtype());
      consumer.row(batch, i, result);
    }
  }

  private void analyze(SoftmaxRow row, double temperature) {
    if (isFloat) {
      row.analyze(floats, rowOffset, rowLength, temperature);
    } else {
      row.analyze(doubles, rowOffset, rowLength, temperature);
    }
  }
}
