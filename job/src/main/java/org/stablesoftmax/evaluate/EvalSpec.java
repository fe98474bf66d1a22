package org.stablesoftmax.evaluate;

import java.io.Serializable;
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
 */
public record EvalSpec(LogitsKind logits, double temperature, int topK, NaiveDtype naiveDtype,
    boolean hasLabel, boolean hasIgnoreIndex, long ignoreIndex, String filePrefix,
    long batchBytes, int batchRows) implements Serializable {

  /** The types of logits column the engines read. */
  public enum LogitsKind {
    /** {@code array<float>} */
    FLOAT(4),
    /** {@code array<double>} */
    DOUBLE(8),
    /** an MLlib {@code Vector} (dense or sparse), read as double */
    VECTOR(8);

    private final int bytes;

    LogitsKind(int bytes) {
      this.bytes = bytes;
    }

    /** Bytes per element as the engines hold it. */
    public int bytes() {
      return bytes;
    }
  }

  /** The ordinals of the standardized input's columns (see {@code InputTable}). */
  public static final int LOGITS = 0;
  public static final int LABEL = 1;
  public static final int ID = 2;
  public static final int FILE = 3;
  public static final int ROW_INDEX = 4;
}
