package org.stablesoftmax.evaluate;

import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.RowId;

/**
 * How a row's {@link RowResult} counts in an evaluation, for both engines: which incidents count,
 * whether it is evaluated or skipped (and why), and its id in the examples. Both engines compute
 * the result with {@link RowResult#compute}, so they agree to the bit.
 */
public final class RowScoring {

  /** The incidents that depend on the label; not counted for a row whose label is ignored. */
  private static final int LABEL_INCIDENTS = IncidentKind.LABEL_OUT_OF_RANGE.bit()
      | IncidentKind.TARGET_MASKED.bit() | IncidentKind.NAIVE_TARGET_UNDERFLOW.bit();

  private final EvalSpec spec;
  private final PartitionStats stats;
  /** The class weights of the loss's mean, or null. */
  private final double[] classWeights;
  private UTF8String lastFile;
  private String lastFileName;

  public RowScoring(EvalSpec spec) {
    this.spec = spec;
    this.stats = new PartitionStats(spec.calibrationBins(), spec.weighted());
    this.classWeights = spec.lossOptions().classWeights();
  }

  public PartitionStats stats() {
    return stats;
  }

  /**
   * Folds a row's {@link RowResult} (computed with a label unless there is none or it is null):
   * counts the row with its incidents, then adds its values, or counts it as skipped with its
   * reason.
   */
  public void row(RowResult result, boolean labelNull, long label, boolean idNull, long id,
      UTF8String file, long rowIndex) {
    row(result, labelNull, label, idNull, id, file, rowIndex, false, 1.0);
  }

  /**
   * {@link #row(RowResult, boolean, long, boolean, long, UTF8String, long)} with the row's sample
   * weight (read where the spec has one): a null, negative, NaN or infinite one is the incident
   * {@code BAD_WEIGHT}, and the row is skipped.
   */
  public void row(RowResult result, boolean labelNull, long label, boolean idNull, long id,
      UTF8String file, long rowIndex, boolean weightNull, double weight) {
    int bits = result.incidents();
    if (spec.hasWeight() && (weightNull || !(weight >= 0 && weight < Double.POSITIVE_INFINITY))) {
      bits |= IncidentKind.BAD_WEIGHT.bit();
    }
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
    } else if (spec.hasLabel() && !spec.hasTarget() && labelNull) {
      reason = "null_label";
    } else if (ignored) {
      reason = "ignore_index";
    } else if (IncidentKind.LABEL_OUT_OF_RANGE.in(bits)) {
      reason = "label_out_of_range";
    } else if (IncidentKind.CLASS_COUNT_MISMATCH.in(bits)) {
      reason = "class_count_mismatch";
    } else if (IncidentKind.BAD_TARGET.in(bits)) {
      reason = "bad_target";
    } else if (IncidentKind.BAD_WEIGHT.in(bits)) {
      reason = "bad_weight";
    }
    double s = spec.hasWeight() ? weight : 1.0;
    if (reason != null) {
      stats.skip(reason);
    } else if (spec.hasTarget()) {
      // the soft target's argmax is the label; PyTorch's mean over probability targets
      // divides by the row count, not by class weights
      int rank = result.labelRank();
      stats.evaluated(s, 1.0, result.loss(), result.argmax() == result.label(),
          rank >= 0 && rank < spec.topK(), result.entropy(), result.maxProbability(),
          result.brier());
    } else if (spec.hasLabel()) {
      int rank = result.labelRank();
      stats.evaluated(s, classWeights == null ? 1.0 : classWeights[(int) label], result.loss(),
          result.argmax() == label, rank >= 0 && rank < spec.topK(), result.entropy(),
          result.maxProbability(), result.brier());
    } else {
      stats.evaluatedUnlabeled(s, result.entropy(), result.maxProbability());
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
