package org.stablesoftmax.arrow;

import java.io.Serializable;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.kernel.NaiveDtype;

/**
 * What the stage computes and how it batches, shipped to the tasks with the code.
 *
 * @param logits the logits column's type
 * @param temperature divides the logits for the values (1 for none)
 * @param naiveDtype the dtype of the naive softmax whose failures are incidents
 * @param hasLabel false when there is no label column
 * @param batchBytes the bound on a batch's logits, in bytes
 * @param batchRows the bound on a batch's rows
 * @param kept the input columns carried through (from {@link InputColumns#KEPT} on), packed into
 *     the batch's {@link LogitsBatch#kept()} vectors; empty for none
 */
public record StageSpec(LogitsKind logits, double temperature, NaiveDtype naiveDtype,
    boolean hasLabel, long batchBytes, int batchRows, StructType kept) implements Serializable {
}
