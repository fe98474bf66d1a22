package org.stablesoftmax.arrow;

import java.io.Serializable;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.kernel.Scores;

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
 * @param lossOptions the loss's label smoothing and class weights ({@link RowResult#lossOptions})
 * @param scores what the logits column holds: logits, log-probabilities or probabilities
 * @param target the index in {@code kept} of the rows' soft targets (an {@code array<double>}
 *     of class probabilities: the loss is against it, {@link RowResult#computeWithTarget}), or
 *     -1 for none
 */
public record StageSpec(LogitsKind logits, double temperature, NaiveDtype naiveDtype,
    boolean hasLabel, long batchBytes, int batchRows, StructType kept,
    CrossEntropyOptions lossOptions, Scores scores, int target) implements Serializable {

  /** A stage without soft targets. */
  public StageSpec(LogitsKind logits, double temperature, NaiveDtype naiveDtype,
      boolean hasLabel, long batchBytes, int batchRows, StructType kept,
      CrossEntropyOptions lossOptions, Scores scores) {
    this(logits, temperature, naiveDtype, hasLabel, batchBytes, batchRows, kept, lossOptions,
        scores, -1);
  }

  /** A stage of logits whose loss has no smoothing and no class weights. */
  public StageSpec(LogitsKind logits, double temperature, NaiveDtype naiveDtype,
      boolean hasLabel, long batchBytes, int batchRows, StructType kept) {
    this(logits, temperature, naiveDtype, hasLabel, batchBytes, batchRows, kept,
        CrossEntropyOptions.DEFAULT, Scores.LOGITS);
  }
}
