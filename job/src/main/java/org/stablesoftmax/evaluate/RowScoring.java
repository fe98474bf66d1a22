package org.stablesoftmax.evaluate;

import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.RowId;

/**
 * The rules both engines share for one row: which incidents count, whether it is evaluated or
 * skipped (and why), and its id in the examples. The engines differ only in how they compute a
 * row's incidents and values, which they do with the same kernel, so they agree to the bit.
 */
final class RowScoring {

  /** The incidents that depend on the label; not counted for a row whose label is ignored. */
  private static final int LABEL_INCIDENTS = IncidentKind.LABEL_OUT_OF_RANGE.bit()
      | IncidentKind.TARGET_MASKED.bit() | IncidentKind.NAIVE_TARGET_UNDERFLOW.bit();

  private final EvalSpec spec;
  private final PartitionStats stats = new PartitionStats();
  private UTF8String lastFile;
  private String lastFileName;

  RowScoring(EvalSpec spec) {
    this.spec = spec;
  }

  PartitionStats stats() {
    return stats;
  }

  /**
   * Counts a row with its incidents (as the kernel and {@code softmax_incidents} give them, with
   * a label unless there is none or it is null) and returns whether it is to be evaluated; if
   * not, it is counted as skipped with its reason.
   */
  boolean row(int incidents, boolean labelNull, long label, boolean idNull, long id,
      UTF8String file, long rowIndex) {
    int bits = incidents;
    boolean ignored = false;
    if (!spec.hasLabel()) {
      bits &= ~IncidentKind.NULL_LABEL.bit();
    } else if (!labelNull && spec.hasIgnoreIndex() && label == spec.ignoreIndex()) {
      ignored = true;
      bits &= ~LABEL_INCIDENTS;
    }
    stats.row(bits == 0 ? null : rowId(idNull, id, file, rowIndex), bits);
    String reason = null;
    if (IncidentKind.NULL_LOGITS.in(bits)) {
      reason = "null_logits";
    } else if (IncidentKind.EMPTY_LOGITS.in(bits)) {
      reason = "empty_logits";
    } else if (spec.hasLabel() && labelNull) {
      reason = "null_label";
    } else if (ignored) {
      reason = "ignore_index";
    } else if (IncidentKind.LABEL_OUT_OF_RANGE.in(bits)) {
      reason = "label_out_of_range";
    }
    if (reason != null) {
      stats.skip(reason);
      return false;
    }
    return true;
  }

  /** Adds an evaluated row (its label in range, or no label). */
  void evaluated(double loss, int argmax, long label, boolean inTopK, double entropy,
      double maxProbability) {
    if (spec.hasLabel()) {
      stats.evaluated(loss, argmax == label, inTopK, entropy, maxProbability);
    } else {
      stats.evaluatedUnlabeled(entropy, maxProbability);
    }
  }

  private RowId rowId(boolean idNull, long id, UTF8String file, long rowIndex) {
    if (!idNull) {
      return RowId.of(id);
    }
    if (!file.equals(lastFile)) {
      lastFile = file.clone();
      String path = decoded(file.toString());
      lastFileName = path.startsWith(spec.filePrefix())
          ? path.substring(spec.filePrefix().length()) : path;
    }
    return RowId.inFile(lastFileName, rowIndex);
  }

  /** Spark's file path (a URI, "%20" for a space) as Hadoop prints it ("file:/a b/c"). */
  private static String decoded(String uri) {
    try {
      return new Path(new URI(uri)).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return uri;
    }
  }
}
