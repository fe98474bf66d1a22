package org.stablesoftmax.arrow;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * One batch of rows as the {@link ArrowLogitsWriter} packed them: the logits as an Arrow
 * {@link ListVector} (null rows null; a null element null, and NaN in the data buffer), per
 * row its label, id, file and row index, and the kept input columns. Valid only while the sink it was handed to runs.
 */
public interface LogitsBatch {

  int rows();

  /** The logits elements of all rows. */
  int elements();

  /** 4 (float) or 8 (double). */
  int elementBytes();

  ListVector logits();

  /** Whether an element of the row was null (and reads as NaN). */
  boolean nullElement(int row);

  /** Whether a non-null element of a row with a null element is NaN. */
  boolean nanElement(int row);

  boolean labelNull(int row);

  /** The label; 0 when null. */
  long label(int row);

  boolean idNull(int row);

  /** The id; 0 when null. */
  long id(int row);

  UTF8String file(int row);

  long rowIndex(int row);

  /**
   * The kept input columns of the batch's rows ({@link StageSpec#kept()}), as Spark's
   * {@code ArrowWriter} writes them; null when none are kept. A consumer may transfer their buffers
   * away.
   */
  VectorSchemaRoot kept();
}
