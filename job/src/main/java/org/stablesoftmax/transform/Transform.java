package org.stablesoftmax.transform;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.util.AccumulatorV2;
import org.apache.spark.util.TaskCompletionListener;
import org.stablesoftmax.arrow.ArrowPartition;
import org.stablesoftmax.arrow.InputColumns;
import org.stablesoftmax.evaluate.ColumnarScan;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.RowScoring;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.udf.RowEvaluator;
import org.stablesoftmax.udf.StableSoftmaxFunctions;
import scala.collection.JavaConverters;

/**
 * The per-row outputs of a standardized input (columns at {@link InputColumns#LOGITS} ..., kept
 * columns from {@link InputColumns#KEPT} on): the kept columns, then one column per output, as a
 * Dataset for Spark's writer. Each partition's rows map to its output rows in order, with no
 * shuffle, and both engines give the same rows to the bit.
 *
 * <p>Every row is also counted, as {@code evaluate} counts it, into a {@link Counts}: each task
 * adds its partition's counts once its last row has been read. When the Dataset is written, that
 * is in the write's only stage, a result stage, in which Spark applies the updates of one
 * successful attempt per partition (a failed or retried attempt's are dropped).
 */
public final class Transform {

  private Transform() {}

  /** The counts of a transform's rows, added by each task that read its last row. */
  public static final class Counts extends AccumulatorV2<PartitionStats, PartitionStats> {
    private static final long serialVersionUID = 1L;
    private PartitionStats stats = new PartitionStats();

    @Override
    public boolean isZero() {
      return stats.equals(new PartitionStats());
    }

    @Override
    public Counts copy() {
      Counts c = new Counts();
      c.stats.merge(stats);
      return c;
    }

    @Override
    public void reset() {
      stats = new PartitionStats();
    }

    @Override
    public void add(PartitionStats v) {
      stats.merge(v);
    }

    @Override
    public void merge(AccumulatorV2<PartitionStats, PartitionStats> other) {
      stats.merge(other.value());
    }

    @Override
    public PartitionStats value() {
      return stats;
    }
  }

  /** A new {@link Counts}, registered with the session's context. */
  public static Counts counts(SparkSession spark) {
    Counts c = new Counts();
    spark.sparkContext().register(c, "stablesoftmax transform counts");
    return c;
  }

  /**
   * The output rows of {@code input} by {@code engine}; their counts go to {@code counts} as the
   * rows are read.
   */
  public static Dataset<Row> rows(SparkSession spark, Dataset<Row> input, TransformSpec spec,
      Engine engine, Counts counts) {
    Dataset<Row> sql = sql(input, spec);
    StructType all = sql.schema();
    int width = all.size() - HIDDEN;
    StructType schema = new StructType(Arrays.copyOf(all.fields(), width));
    JavaRDD<InternalRow> out;
    if (engine == Engine.UDF) {
      out = sql.queryExecution().toRdd().toJavaRDD().mapPartitions(
          (FlatMapFunction<Iterator<InternalRow>, InternalRow>) it ->
              udfRows(it, spec, schema, counts));
    } else {
      ColumnarScan scan = ColumnarScan.of(input);
      if (scan == null) {
        out = input.queryExecution().toRdd().toJavaRDD().mapPartitions(
            (FlatMapFunction<Iterator<InternalRow>, InternalRow>) it ->
                arrowRows(spec, counts, ArrowTransform.rows(it)));
      } else {
        out = scan.batches().toJavaRDD().mapPartitions(
            (FlatMapFunction<Iterator<ColumnarBatch>, InternalRow>) it -> arrowRows(spec, counts,
                ArrowTransform.batches(it, scan.columns())));
      }
    }
    return spark.internalCreateDataFrame(out.rdd(), schema, false);
  }

  /** The row result, label, id, file and row index after the outputs, for the udf engine. */
  private static final int HIDDEN = 5;

  /**
   * The kept columns and the outputs as the SQL functions give them, then ({@link #HIDDEN}) what
   * the udf engine counts each row with: its {@code softmax_row_result}, label, id, file and row
   * index. Its schema, without those, is the output's, for both engines.
   */
  static Dataset<Row> sql(Dataset<Row> input, TransformSpec spec) {
    String[] names = input.columns();
    Column logits = col(quoted(names[InputColumns.LOGITS]));
    Column label = col(quoted(names[InputColumns.LABEL]));
    List<Column> columns = new ArrayList<>();
    for (int i = InputColumns.KEPT; i < names.length; i++) {
      columns.add(col(quoted(names[i])));
    }
    for (Output o : spec.outputs()) {
      columns.add(o.sql(logits, label, spec).as(o.column()));
    }
    columns.add(StableSoftmaxFunctions.softmaxRowResult(logits, label, lit(spec.temperature()),
        spec.stage().naiveDtype().label()));
    for (int c : new int[] {InputColumns.LABEL, InputColumns.ID, InputColumns.FILE,
        InputColumns.ROW_INDEX}) {
      columns.add(col(quoted(names[c])));
    }
    return input.select(columns.toArray(new Column[0]));
  }

  private static String quoted(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /** The udf engine's rows of a partition, each counted from its row result, hidden columns cut. */
  private static Iterator<InternalRow> udfRows(Iterator<InternalRow> rows, TransformSpec spec,
      StructType schema, Counts counts) {
    RowScoring scoring = new RowScoring(spec.counting());
    RowResult result = new RowResult();
    int width = schema.size();
    int structWidth = RowEvaluator.ROW_RESULT_TYPE.size();
    List<Expression> visible = new ArrayList<>();
    StructField[] fields = schema.fields();
    for (int i = 0; i < width; i++) {
      visible.add(new BoundReference(i, fields[i].dataType(), fields[i].nullable()));
    }
    UnsafeProjection cut = UnsafeProjection.create(
        JavaConverters.asScalaBuffer(visible).toSeq());
    return new Iterator<>() {
      private boolean done;

      @Override
      public boolean hasNext() {
        if (rows.hasNext()) {
          return true;
        }
        if (!done) {
          done = true;
          finish(counts, scoring.stats());
        }
        return false;
      }

      @Override
      public InternalRow next() {
        InternalRow r = rows.next();
        RowEvaluator.readRowResult(r.getStruct(width, structWidth), result);
        boolean labelNull = r.isNullAt(width + 1);
        boolean idNull = r.isNullAt(width + 2);
        scoring.row(result, labelNull, labelNull ? 0 : r.getLong(width + 1), idNull,
            idNull ? 0 : r.getLong(width + 2), r.getUTF8String(width + 3),
            r.getLong(width + 4));
        return cut.apply(r);
      }
    };
  }

  /** The Arrow engine's rows of a partition, its memory freed when read or when the task ends. */
  private static Iterator<InternalRow> arrowRows(TransformSpec spec, Counts counts,
      ArrowTransform.Feed feed) {
    BufferAllocator allocator = ArrowPartition.allocator("transform");
    ArrowTransform[] made = new ArrowTransform[1];
    try {
      made[0] = new ArrowTransform(spec, allocator, feed,
          () -> finish(counts, made[0].stats()));
    } finally {
      if (made[0] == null) {
        allocator.close();
      }
    }
    TaskContext task = TaskContext.get();
    if (task != null) {
      // a backstop when the rows are not all read: closing twice is harmless
      task.addTaskCompletionListener((TaskCompletionListener) t -> made[0].close());
    }
    return made[0];
  }

  /** A partition's rows are all read: its counts are added. */
  private static void finish(Counts counts, PartitionStats stats) {
    counts.add(stats);
    Engine.failFirstAttemptIfAsked();
  }
}
