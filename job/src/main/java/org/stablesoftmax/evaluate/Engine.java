package org.stablesoftmax.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.stablesoftmax.arrow.InputColumns;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.udf.RowEvaluator;
import org.stablesoftmax.udf.StableSoftmaxFunctions;

/**
 * The two ways to evaluate a standardized input (columns at {@link InputColumns#LOGITS} ...): each
 * partition gives one {@link PartitionStats} from {@code mapPartitions}, and the driver merges
 * them in partition order. Both give the same state to the bit.
 */
public enum Engine {
  /** Rows packed into Arrow batches, the kernel over the flat buffers (the throughput path). */
  ARROW {
    @Override
    JavaRDD<PartitionStats> partitions(Dataset<Row> input, EvalSpec spec) {
      ColumnarScan scan = ColumnarScan.of(input);
      if (scan == null) {
        return perPartition(rows(input), it -> ArrowEvaluation.evaluate(it, spec));
      }
      return perPartition(scan.batches().toJavaRDD(),
          it -> ArrowEvaluation.evaluate(it, spec, scan));
    }
  },
  /**
   * The Spark SQL function {@code softmax_row_result} over the logits column, its results counted
   * per partition.
   */
  UDF {
    @Override
    JavaRDD<PartitionStats> partitions(Dataset<Row> input, EvalSpec spec) {
      String[] names = input.columns();
      Column logits = col(names[InputColumns.LOGITS]);
      double[] weights = spec.lossOptions().classWeights();
      Column classWeights = weights == null ? lit(null).cast("array<double>") : lit(weights);
      Column label = col(names[InputColumns.LABEL]);
      Column smoothing = lit(spec.lossOptions().labelSmoothing());
      Column result = spec.hasTarget()
          ? StableSoftmaxFunctions.softmaxRowResult(logits, label, lit(spec.temperature()),
              spec.naiveDtype().label(), smoothing, classWeights, spec.scores().label(),
              col(names[spec.target()]))
          : StableSoftmaxFunctions.softmaxRowResult(logits, label, lit(spec.temperature()),
              spec.naiveDtype().label(), smoothing, classWeights, spec.scores().label());
      Dataset<Row> scored = input.select(result, col(names[InputColumns.LABEL]),
          col(names[InputColumns.ID]), col(names[InputColumns.FILE]),
          col(names[InputColumns.ROW_INDEX]),
          spec.hasWeight() ? col(names[EvalSpec.WEIGHT]) : lit(1.0));
      return perPartition(rows(scored), it -> scoreUdfRows(it, spec));
    }
  };

  abstract JavaRDD<PartitionStats> partitions(Dataset<Row> input, EvalSpec spec);

  /**
   * The Arrow engine's work on rows (columns at {@link InputColumns#LOGITS} ...) outside a Spark
   * job, as a partition of them would be evaluated: for the executors' warm-up.
   */
  public static PartitionStats evaluateRows(Iterator<InternalRow> rows, EvalSpec spec) {
    return ArrowEvaluation.evaluate(rows, spec);
  }

  /**
   * For tests only: with this Spark setting true, every evaluation or transform task fails its
   * first attempt after doing its work, and Spark runs it again.
   */
  public static final String FAIL_FIRST_ATTEMPT = "spark.stablesoftmax.test.failFirstAttempt";

  /** What one partition comes to, shipped to the tasks. */
  private interface PartitionEvaluator<T> extends Serializable {
    PartitionStats evaluate(Iterator<T> partition);
  }

  private static JavaRDD<InternalRow> rows(Dataset<Row> rows) {
    return rows.queryExecution().toRdd().toJavaRDD();
  }

  /** One state per partition of {@code input}, by {@code evaluator}. */
  private static <T> JavaRDD<PartitionStats> perPartition(JavaRDD<T> input,
      PartitionEvaluator<T> evaluator) {
    return input.mapPartitions((FlatMapFunction<Iterator<T>, PartitionStats>) it -> {
      PartitionStats stats = evaluator.evaluate(it);
      failFirstAttemptIfAsked();
      return Collections.singletonList(stats).iterator();
    });
  }

  /** For tests: fails the task's first attempt, its work done, if {@link #FAIL_FIRST_ATTEMPT}. */
  public static void failFirstAttemptIfAsked() {
    TaskContext task = TaskContext.get();
    if (task.attemptNumber() == 0 && SparkEnv.get().conf().getBoolean(FAIL_FIRST_ATTEMPT,
        false)) {
      throw new IllegalStateException("task " + task.partitionId() + " fails its first attempt,"
          + " as " + FAIL_FIRST_ATTEMPT + " asks");
    }
  }

  /** Evaluates the input: the partitions' states, in partition order. */
  public List<PartitionStats> evaluate(Dataset<Row> input, EvalSpec spec) {
    return partitions(input, spec).collect();
  }

  /** The merge of the partitions' states, in partition order. */
  public static PartitionStats merge(List<PartitionStats> parts) {
    PartitionStats all = parts.isEmpty() ? new PartitionStats()
        : new PartitionStats(parts.get(0).bins(), parts.get(0).weighted());
    for (PartitionStats p : parts) {
      all.merge(p);
    }
    return all;
  }

  /**
   * Counts the udf engine's rows: the row's result (a struct), label, id, file, row index,
   * sample weight.
   */
  private static PartitionStats scoreUdfRows(Iterator<InternalRow> rows, EvalSpec spec) {
    RowScoring scoring = new RowScoring(spec);
    RowResult result = new RowResult();
    int width = RowEvaluator.ROW_RESULT_TYPE.size();
    while (rows.hasNext()) {
      InternalRow r = rows.next();
      RowEvaluator.readRowResult(r.getStruct(0, width), result);
      boolean labelNull = r.isNullAt(1);
      boolean idNull = r.isNullAt(2);
      boolean weightNull = r.isNullAt(5);
      scoring.row(result, labelNull, labelNull ? 0 : r.getLong(1), idNull,
          idNull ? 0 : r.getLong(2), r.getUTF8String(3), r.getLong(4), weightNull,
          weightNull ? 1.0 : r.getDouble(5));
    }
    return scoring.stats();
  }
}
