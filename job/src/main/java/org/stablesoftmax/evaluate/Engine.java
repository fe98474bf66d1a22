package org.stablesoftmax.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.stablesoftmax.arrow.InputColumns;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.kernel.RowResult;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.stats.GroupSums;
import org.stablesoftmax.stats.GroupTotals;
import org.stablesoftmax.stats.PartitionStats;
import scala.Tuple2;
import org.stablesoftmax.udf.RowEvaluator;
import org.stablesoftmax.udf.StableSoftmaxFunctions;

/**
 * The two ways to evaluate a standardized input (columns at {@link InputColumns#LOGITS} ...): each
 * partition gives one {@link PartitionStats} from {@code mapPartitions}, and they are merged.
 * Both give the same state to the bit.
 */
public enum Engine {
  /** Rows packed into Arrow batches, the kernel over the flat buffers (the throughput path). */
  ARROW {
    @Override
    JavaRDD<Scored> partitions(Dataset<Row> input, EvalSpec spec,
        RowScoring.SinkFactory sinks) {
      ColumnarScan scan = ColumnarScan.of(input);
      if (scan == null) {
        return perPartition(rows(input), it -> ArrowEvaluation.evaluate(it, spec, sinks));
      }
      return perPartition(scan.batches().toJavaRDD(),
          it -> ArrowEvaluation.evaluate(it, spec, scan, sinks));
    }
  },
  /**
   * The Spark SQL function {@code softmax_row_result} over the logits column, its results counted
   * per partition.
   */
  UDF {
    @Override
    JavaRDD<Scored> partitions(Dataset<Row> input, EvalSpec spec,
        RowScoring.SinkFactory sinks) {
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
          spec.hasWeight() ? col(names[EvalSpec.WEIGHT]) : lit(1.0),
          spec.hasGroup() ? col(names[spec.group()]) : lit(null).cast("string"),
          spec.rowLogits() ? logits : lit(null).cast("array<double>"));
      return perPartition(rows(scored), it -> scoreUdfRows(it, spec, sinks));
    }
  };

  /** Each partition's state; each row's outcome also handed to a sink of {@code sinks}, if any. */
  abstract JavaRDD<Scored> partitions(Dataset<Row> input, EvalSpec spec,
      RowScoring.SinkFactory sinks);

  /**
   * What one partition comes to: its state, its groups' partial sums (or null), and the sink
   * that took its rows (or null).
   */
  public record Scored(PartitionStats stats, GroupSums groups, RowScoring.Sink rows)
      implements Serializable {}

  /**
   * Each partition's state and its sink of {@code sinks}, which took every row's outcome, not
   * merged: for a command that goes on with the rows ({@code compare}). Each element is used in
   * the task that made it.
   */
  public JavaRDD<Scored> scoredRows(Dataset<Row> input, EvalSpec spec,
      RowScoring.SinkFactory sinks) {
    return partitions(input, spec, sinks);
  }

  /**
   * The Arrow engine's work on rows (columns at {@link InputColumns#LOGITS} ...) outside a Spark
   * job, as a partition of them would be evaluated: for the executors' warm-up.
   */
  public static PartitionStats evaluateRows(Iterator<InternalRow> rows, EvalSpec spec) {
    return ArrowEvaluation.evaluate(rows, spec).stats();
  }

  /**
   * For tests only: with this Spark setting true, every evaluation or transform task fails its
   * first attempt after doing its work, and Spark runs it again.
   */
  public static final String FAIL_FIRST_ATTEMPT = "spark.stablesoftmax.test.failFirstAttempt";

  /** What one partition comes to, shipped to the tasks. */
  private interface PartitionEvaluator<T> extends Serializable {
    Scored evaluate(Iterator<T> partition);
  }

  private static JavaRDD<InternalRow> rows(Dataset<Row> rows) {
    return rows.queryExecution().toRdd().toJavaRDD();
  }

  /** One state per partition of {@code input}, by {@code evaluator}. */
  private static <T> JavaRDD<Scored> perPartition(JavaRDD<T> input,
      PartitionEvaluator<T> evaluator) {
    return input.mapPartitions((FlatMapFunction<Iterator<T>, Scored>) it -> {
      Scored scored = evaluator.evaluate(it);
      failFirstAttemptIfAsked();
      return Collections.singletonList(scored).iterator();
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

  /**
   * An evaluation's merged state, its means over groups (null without groups), and the number of
   * partitions it merged.
   */
  public record Evaluated(PartitionStats stats, GroupTotals groups, int partitions) {}

  /** The most partitions whose states are merged on the driver as their tasks end. */
  static final int DRIVER_MERGED_PARTITIONS = 256;

  /**
   * Evaluates the input: the merge of the partitions' states. Where they are few and small, in
   * one stage, each merged on the driver as its task ends (Spark's {@code reduce}); where they
   * are many, or each megabytes (a bootstrap's, per-class sums), by a tree of merges on the
   * executors ({@code treeReduce}, a shuffle), so the driver never holds more than a few. The
   * merge is exact, so its order does not matter. With groups, one shuffle by group instead (see
   * {@link #byGroup}).
   */
  public Evaluated evaluate(Dataset<Row> input, EvalSpec spec) {
    JavaRDD<Scored> parts = partitions(input, spec, null);
    int n = parts.getNumPartitions();
    if (n == 0) {
      return new Evaluated(spec.emptyStats(), spec.hasGroup() ? new GroupTotals() : null, 0);
    }
    if (spec.hasGroup()) {
      return byGroup(parts, n);
    }
    boolean tree = n > DRIVER_MERGED_PARTITIONS || spec.hasBootstrap() || spec.perClass();
    PartitionStats all = parts.map(Scored::stats).treeReduce(
        (Function2<PartitionStats, PartitionStats, PartitionStats>) PartitionStats::merge,
        tree ? 2 : 1);
    return new Evaluated(all, null, n);
  }

  /**
   * The partitions' states and groups, in one shuffle: each partition's groups keyed by group
   * and its state under the key null, reduced by key (groups may span partitions: their exact
   * partial sums add up; the states merge, on one reducer); then each reducer adds its groups'
   * means into {@link GroupTotals}, and the driver merges one state and a few totals. So no
   * group ever reaches the driver, however many there are.
   */
  private static Evaluated byGroup(JavaRDD<Scored> parts, int n) {
    JavaPairRDD<UTF8String, Object> keyed = parts.flatMapToPair(
        (PairFlatMapFunction<Scored, UTF8String, Object>) scored -> {
          Iterator<Map.Entry<UTF8String, long[]>> groups = scored.groups().entries();
          return new Iterator<Tuple2<UTF8String, Object>>() {
            boolean statsSent;

            @Override
            public boolean hasNext() {
              return !statsSent || groups.hasNext();
            }

            @Override
            public Tuple2<UTF8String, Object> next() {
              if (!statsSent) {
                statsSent = true;
                return new Tuple2<>(null, scored.stats());
              }
              Map.Entry<UTF8String, long[]> e = groups.next();
              return new Tuple2<>(e.getKey(), e.getValue());
            }
          };
        });
    Function2<Object, Object, Object> merge = (a, b) -> a instanceof PartitionStats p
        ? p.merge((PartitionStats) b) : GroupSums.merge((long[]) a, (long[]) b);
    // a partition's groups are already one record each: no combining before the shuffle (it
    // would hold them all in a second map); and Kryo, for millions of small records
    List<Tuple2<PartitionStats, GroupTotals>> reduced = keyed
        .combineByKey(v -> v, merge, merge, new HashPartitioner(n), false,
            new KryoSerializer(parts.context().getConf().clone()
                .set("spark.kryo.registrator", ShuffleKryo.class.getName())
                // the user's setting is for their classes, not these records
                .set("spark.kryo.registrationRequired", "false")))
        .mapPartitions((FlatMapFunction<Iterator<Tuple2<UTF8String, Object>>,
            Tuple2<PartitionStats, GroupTotals>>) it -> {
          PartitionStats stats = null;
          GroupTotals totals = new GroupTotals();
          while (it.hasNext()) {
            Tuple2<UTF8String, Object> t = it.next();
            if (t._1() == null) {
              stats = (PartitionStats) t._2();
            } else {
              totals.add((long[]) t._2());
            }
          }
          return Collections.singletonList(new Tuple2<>(stats, totals)).iterator();
        }).collect();
    PartitionStats stats = null;
    GroupTotals totals = new GroupTotals();
    for (Tuple2<PartitionStats, GroupTotals> t : reduced) {
      stats = t._1() == null ? stats : t._1();
      totals.merge(t._2());
    }
    return new Evaluated(stats, totals, n);
  }

  /**
   * Counts the udf engine's rows: the row's result (a struct), label, id, file, row index,
   * sample weight, group.
   */
  private static Scored scoreUdfRows(Iterator<InternalRow> rows, EvalSpec spec,
      RowScoring.SinkFactory sinks) {
    RowScoring scoring = new RowScoring(spec).sink(sinks == null ? null : sinks.newSink());
    RowResult result = new RowResult();
    double[] logits = new double[64];
    int width = RowEvaluator.ROW_RESULT_TYPE.size();
    while (rows.hasNext()) {
      InternalRow r = rows.next();
      RowEvaluator.readRowResult(r.getStruct(0, width), result);
      boolean labelNull = r.isNullAt(1);
      boolean idNull = r.isNullAt(2);
      boolean weightNull = r.isNullAt(5);
      if (spec.rowLogits()) {
        ArrayData a = r.isNullAt(7) ? null : r.getArray(7);
        int n = a == null || a.numElements() == 0 ? -1 : a.numElements();
        if (n > logits.length) {
          logits = new double[Math.max(n, 2 * logits.length)];
        }
        for (int j = 0; j < n; j++) {
          if (a.isNullAt(j)) {
            n = -1;
            break;
          }
          logits[j] = spec.logits() == LogitsKind.FLOAT ? a.getFloat(j) : a.getDouble(j);
        }
        scoring.logits(logits, n);
      }
      scoring.row(result, labelNull, labelNull ? 0 : r.getLong(1), idNull,
          idNull ? 0 : r.getLong(2), r.getUTF8String(3), r.getLong(4), weightNull,
          weightNull ? 1.0 : r.getDouble(5), r.isNullAt(6) ? null : r.getUTF8String(6));
    }
    return new Scored(scoring.stats(), scoring.groups(), scoring.sink());
  }
}
