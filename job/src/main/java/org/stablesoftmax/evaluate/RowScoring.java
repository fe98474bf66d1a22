package org.stablesoftmax.evaluate;

import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.kernel.Scores;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.stats.BootstrapBuckets;
import org.stablesoftmax.stats.GroupSums;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.RowId;
import org.stablesoftmax.stats.TemperatureSums;

/**
 * How a row's {@link RowResult} counts in an evaluation, for both engines: which incidents count,
 * whether it is evaluated or skipped (and why), and its id in the examples. Both engines compute
 * the result with {@link RowResult#compute}, so they agree to the bit.
 */
public final class RowScoring {

  /** The incidents that depend on the label; not counted for a row whose label is ignored. */
  private static final int LABEL_INCIDENTS = IncidentKind.LABEL_OUT_OF_RANGE.bit()
      | IncidentKind.TARGET_MASKED.bit() | IncidentKind.NAIVE_TARGET_UNDERFLOW.bit();

  /**
   * What takes each row's outcome besides the counts, e.g. {@code compare}, which pairs the rows
   * of two inputs by id: called once per row, after the row is counted.
   */
  public interface Sink {
    /**
     * The row of id {@code id} ({@code idNull} for a null id) came to {@code result} (reused
     * after this returns); {@code evaluated} if it counts in the figures (it has a label and is
     * not skipped), then of label {@code label}, its top-1 and top-k predictions holding it or
     * not.
     */
    void row(boolean idNull, long id, boolean evaluated, long label, RowResult result,
        boolean top1, boolean topK);
  }

  /** Makes each partition's {@link Sink}, shipped to the tasks. */
  public interface SinkFactory extends java.io.Serializable {
    Sink newSink();
  }

  private final EvalSpec spec;
  private final PartitionStats stats;
  /** Takes each row's outcome, or null. */
  private Sink sink;
  /** The class weights of the loss's mean, or null. */
  private final double[] classWeights;
  /** The bootstrap's buckets, or null. */
  private final BootstrapBuckets buckets;
  /** The groups' partial sums, or null without groups. */
  private final GroupSums groups;
  /**
   * With per-class or temperature sums: the analysis of the row's logits, for the classwise bins
   * and the temperature step.
   */
  private final SoftmaxRow probabilities = new SoftmaxRow();
  /** The temperature step's sums, or null. */
  private final TemperatureSums temperatureSums;
  /** The row's cross-entropy's derivatives in 1/T, for the temperature step. */
  private final double[] derivatives = new double[2];
  /** The next row's logits for the classwise bins ({@link #logits}), or a length of -1. */
  private double[] rowLogits;
  private int rowLength = -1;
  private UTF8String lastFile;
  private String lastFileName;
  /** The bootstrap's hash of {@link #lastFileName}. */
  private long lastFileHash;

  public RowScoring(EvalSpec spec) {
    this.spec = spec;
    this.stats = spec.emptyStats();
    this.classWeights = spec.lossOptions().classWeights();
    this.buckets = stats.bootstrap();
    this.groups = spec.hasGroup() ? new GroupSums() : null;
    this.temperatureSums = stats.temperature();
    probabilities.probabilityInput(spec.scores() == Scores.PROBABILITIES);
  }

  /**
   * With per-class sums: the next row's logits, {@code x[0, n)} as doubles ({@code n = -1} for
   * null logits or a null element), whose every class's probability the classwise calibration
   * error bins. Both engines hand them as doubles, so both bin the same probabilities.
   */
  public void logits(double[] x, int n) {
    rowLogits = x;
    rowLength = n;
  }

  /** Hands every row's outcome to {@code sink} as well (null for none); this. */
  public RowScoring sink(Sink sink) {
    this.sink = sink;
    return this;
  }

  /** The sink of {@link #sink(Sink)}, or null. */
  public Sink sink() {
    return sink;
  }

  /** The groups' partial sums, or null for an evaluation without groups. */
  public GroupSums groups() {
    return groups;
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
    row(result, labelNull, label, idNull, id, file, rowIndex, false, 1.0, null);
  }

  /**
   * {@link #row(RowResult, boolean, long, boolean, long, UTF8String, long)} with the row's sample
   * weight (read where the spec has one): a null, negative, NaN or infinite one is the incident
   * {@code BAD_WEIGHT}, and the row is skipped; and its group (where the spec has groups; null
   * for a null group, whose row counts in every figure but the groups').
   */
  public void row(RowResult result, boolean labelNull, long label, boolean idNull, long id,
      UTF8String file, long rowIndex, boolean weightNull, double weight, UTF8String group) {
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
      if (sink != null) {
        sink.row(idNull, id, false, label, result, false, false);
      }
    } else if (spec.hasTarget() || spec.hasLabel()) {
      // with a soft target its argmax is the label, and PyTorch's mean over probability targets
      // divides by the row count, not by class weights
      long y = spec.hasTarget() ? result.label() : label;
      double w = classWeights == null || spec.hasTarget() ? 1.0 : classWeights[(int) y];
      int rank = result.labelRank();
      boolean top1 = result.argmax() == y;
      boolean topK = rank >= 0 && rank < spec.topK();
      stats.evaluated(s, w, result.loss(), top1, topK, result.entropy(),
          result.maxProbability(), result.brier());
      if (sink != null) {
        sink.row(idNull, id, true, y, result, top1, topK);
      }
      if (buckets != null) {
        int bucket = group != null ? buckets.bucket(group) : bucket(idNull, id, file, rowIndex);
        buckets.add(bucket, s, w, result.loss(), top1, topK, result.brier(),
            result.maxProbability());
      }
      boolean analyzed = rowLength > 0
          && probabilities.analyze(rowLogits, 0, rowLength, spec.temperature()).isFinite();
      if (stats.perClass() != null) {
        stats.perClass().add((int) y, result.argmax(), s, w, result.loss(),
            result.maxProbability());
        if (analyzed) {
          stats.perClass().addProbabilities(rowLength, (int) y, s, probabilities::probability);
        }
      }
      if (temperatureSums != null && analyzed) {
        temperatureStep(s, (int) y);
      }
      if (groups != null) {
        if (group == null) {
          stats.nullGroupRow();
        } else {
          groups.add(group, s, w, result.loss());
        }
      }
    } else {
      stats.evaluatedUnlabeled(s, result.entropy(), result.maxProbability());
      if (sink != null) {
        sink.row(idNull, id, false, label, result, false, false);
      }
    }
    rowLength = -1;
  }

  /**
   * Adds the analyzed row of label {@code y} to the temperature step: its plain NLL (Guo et al.
   * fit the NLL without smoothing or class weights) and its derivatives in 1/T.
   */
  private void temperatureStep(double s, int y) {
    probabilities.temperatureDerivatives(y, derivatives);
    temperatureSums.add(s, probabilities.crossEntropy(y), derivatives[0], derivatives[1]);
  }

  private RowId rowId(boolean idNull, long id, UTF8String file, long rowIndex) {
    if (!idNull) {
      return RowId.of(id);
    }
    fileName(file);
    return RowId.inFile(lastFileName, rowIndex);
  }

  /** The bootstrap bucket of the row of this id (or, for a null id, this file and index). */
  private int bucket(boolean idNull, long id, UTF8String file, long rowIndex) {
    if (!idNull) {
      return buckets.bucket(id);
    }
    fileName(file);
    return BootstrapBuckets.bucket(lastFileHash, rowIndex);
  }

  /** Sets {@link #lastFileName} (and its hash) to {@code file}'s name in row ids. */
  private void fileName(UTF8String file) {
    if (!file.equals(lastFile)) {
      lastFile = file.clone();
      String path = decoded(file.toString());
      lastFileName = path.startsWith(spec.filePrefix())
          ? path.substring(spec.filePrefix().length()) : path;
      lastFileHash = buckets == null ? 0 : buckets.fileHash(lastFileName);
    }
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
