package org.stablesoftmax.evaluate;

import java.io.Serializable;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.arrow.InputColumns;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.arrow.StageSpec;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.Scores;
import org.stablesoftmax.stats.BootstrapBuckets;
import org.stablesoftmax.stats.PartitionStats;

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
 * @param lossOptions the loss's label smoothing and class weights (PyTorch's)
 * @param hasWeight whether each row has a sample weight, in the column {@link #WEIGHT} (a
 *     double, read after the standardized columns)
 * @param scores what the logits column holds: logits, log-probabilities or probabilities
 * @param hasTarget whether each row has a soft target (class probabilities), in the column
 *     {@link #target()} as {@code array<double>}: the loss is PyTorch's cross-entropy with
 *     probability targets and the label the target's argmax; there is no label column then
 * @param hasBootstrap whether each evaluated row is also added to its bootstrap bucket
 * @param bootstrapSeed the seed of the bootstrap's buckets and replicates
 * @param hasGroup whether each row has a group (a string, in the column {@link #group()}), whose
 *     per-group mean losses are aggregated
 * @param perClass whether per-class sums are kept (--per-class)
 * @param temperatureSums whether the sums of a temperature-scaling step at {@code temperature}
 *     are kept (--fit-temperature)
 */
public record EvalSpec(LogitsKind logits, double temperature, int topK, NaiveDtype naiveDtype,
    boolean hasLabel, boolean hasIgnoreIndex, long ignoreIndex, String filePrefix,
    long batchBytes, int batchRows, int calibrationBins, CrossEntropyOptions lossOptions,
    boolean hasWeight, Scores scores, boolean hasTarget, boolean hasBootstrap,
    long bootstrapSeed, boolean hasGroup, boolean perClass, boolean temperatureSums)
    implements Serializable {

  /** The sample weight's column: the first after the standardized ones. */
  public static final int WEIGHT = InputColumns.KEPT;

  /** The weight column's name and type, as the Arrow stage keeps it. */
  public static final StructType WEIGHT_COLUMN = new StructType()
      .add("__stablesoftmax_weight", DataTypes.DoubleType, true);

  /** The soft target column's name and type, as the Arrow stage keeps it. */
  public static final StructType TARGET_COLUMN = new StructType()
      .add("__stablesoftmax_target", DataTypes.createArrayType(DataTypes.DoubleType, true), true);

  /** The group column's name and type, as the Arrow stage keeps it. */
  public static final StructType GROUP_COLUMN = new StructType()
      .add("__stablesoftmax_group", DataTypes.StringType, true);

  /** An evaluation without the sums of temperature scaling. */
  public EvalSpec(LogitsKind logits, double temperature, int topK, NaiveDtype naiveDtype,
      boolean hasLabel, boolean hasIgnoreIndex, long ignoreIndex, String filePrefix,
      long batchBytes, int batchRows, int calibrationBins, CrossEntropyOptions lossOptions,
      boolean hasWeight, Scores scores, boolean hasTarget, boolean hasBootstrap,
      long bootstrapSeed, boolean hasGroup, boolean perClass) {
    this(logits, temperature, topK, naiveDtype, hasLabel, hasIgnoreIndex, ignoreIndex,
        filePrefix, batchBytes, batchRows, calibrationBins, lossOptions, hasWeight, scores,
        hasTarget, hasBootstrap, bootstrapSeed, hasGroup, perClass, false);
  }

  /** An evaluation without soft targets, bootstrap or groups. */
  public EvalSpec(LogitsKind logits, double temperature, int topK, NaiveDtype naiveDtype,
      boolean hasLabel, boolean hasIgnoreIndex, long ignoreIndex, String filePrefix,
      long batchBytes, int batchRows, int calibrationBins, CrossEntropyOptions lossOptions,
      boolean hasWeight, Scores scores) {
    this(logits, temperature, topK, naiveDtype, hasLabel, hasIgnoreIndex, ignoreIndex,
        filePrefix, batchBytes, batchRows, calibrationBins, lossOptions, hasWeight, scores,
        false, false, 0, false, false, false);
  }

  /** The soft target's column, after the weight's (if any): -1 without targets. */
  public int target() {
    return hasTarget ? InputColumns.KEPT + (hasWeight ? 1 : 0) : -1;
  }

  /** The group's column: after the weight's and the target's, each if any. */
  public int group() {
    return InputColumns.KEPT + (hasWeight ? 1 : 0) + (hasTarget ? 1 : 0);
  }

  /** The columns kept after the standardized ones: the weight, the target, the group, as any. */
  public StructType kept() {
    StructType kept = new StructType();
    if (hasWeight) {
      kept = kept.add(WEIGHT_COLUMN.fields()[0]);
    }
    if (hasTarget) {
      kept = kept.add(TARGET_COLUMN.fields()[0]);
    }
    if (hasGroup) {
      kept = kept.add(GROUP_COLUMN.fields()[0]);
    }
    return kept;
  }

  /** An evaluation without smoothing, class weights or sample weights. */
  public EvalSpec(LogitsKind logits, double temperature, int topK, NaiveDtype naiveDtype,
      boolean hasLabel, boolean hasIgnoreIndex, long ignoreIndex, String filePrefix,
      long batchBytes, int batchRows, int calibrationBins) {
    this(logits, temperature, topK, naiveDtype, hasLabel, hasIgnoreIndex, ignoreIndex,
        filePrefix, batchBytes, batchRows, calibrationBins, CrossEntropyOptions.DEFAULT, false,
        Scores.LOGITS, false, false, 0, false, false, false);
  }

  /** Whether the means are weighted: by sample weights, or the loss by class weights. */
  public boolean weighted() {
    return hasWeight || lossOptions.classWeights() != null;
  }

  /**
   * A step of temperature scaling at {@code t}: this evaluation at temperature {@code t}, with
   * the sums of the step, and without the bootstrap, groups or per-class sums (the step needs
   * none of them, and the input it reads has no group column).
   */
  public EvalSpec temperatureStep(double t) {
    return new EvalSpec(logits, t, topK, naiveDtype, hasLabel, hasIgnoreIndex, ignoreIndex,
        filePrefix, batchBytes, batchRows, calibrationBins, lossOptions, hasWeight, scores,
        hasTarget, false, bootstrapSeed, false, false, true);
  }

  /** Whether the engines hand each row's logits as doubles to {@link RowScoring#logits}. */
  public boolean rowLogits() {
    return perClass || temperatureSums;
  }

  /** A partition's empty state for this evaluation. */
  public PartitionStats emptyStats() {
    PartitionStats stats = new PartitionStats(calibrationBins, weighted(),
        hasBootstrap ? new BootstrapBuckets(bootstrapSeed, calibrationBins) : null);
    if (temperatureSums) {
      stats.withTemperatureSums();
    }
    return perClass ? stats.withPerClass() : stats;
  }

  /** What the Arrow stage computes for this evaluation. */
  public StageSpec stage() {
    return new StageSpec(logits, temperature, naiveDtype, hasLabel, batchBytes, batchRows,
        kept(), lossOptions, scores, hasTarget ? target() - InputColumns.KEPT : -1);
  }
}
