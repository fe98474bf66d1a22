package org.stablesoftmax.evaluate;

import java.io.Serializable;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.arrow.StageSpec;
import org.stablesoftmax.kernel.NaiveDtype;

/**
 * What an evaluation computes, shipped to the tasks with the code.
 *
 * @param logits the logits column's type
 * @param temperature divides the logits (1 for none)
 * @param topK the k of the top-k accuracy
 * @param naiveDtype the dtype of the naive softmax whose failures are counted
 * @param hasLabel false for softmax-only metrics (--no-label)
 * @param hasIgnoreIndex whether rows with label {@code ignoreIndex} are skipped
 * @param ignoreIndex the label of rows to skip, as PyTorch's {@code ignore_index}
 * @param filePrefix removed from file paths in row ids (the input's common directory)
 * @param batchBytes the Arrow engine's bound on a batch's logits, in bytes
 * @param batchRows the Arrow engine's bound on a batch's rows
 * @param calibrationBins the number of equal-width calibration bins
 */
public record EvalSpec(LogitsKind logits, double temperature, int topK, NaiveDtype naiveDtype,
    boolean hasLabel, boolean hasIgnoreIndex, long ignoreIndex, String filePrefix,
    long batchBytes, int batchRows, int calibrationBins) implements Serializable {

  /** What the Arrow stage computes for this evaluation. */
  public StageSpec stage() {
    return new StageSpec(logits, temperature, naiveDtype, hasLabel, batchBytes, batchRows,
        new StructType());
  }
}
