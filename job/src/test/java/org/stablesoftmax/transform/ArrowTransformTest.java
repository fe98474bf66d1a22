package org.stablesoftmax.transform;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.stablesoftmax.arrow.ArrowMemory;
import org.stablesoftmax.arrow.ArrowPartition;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.arrow.StageSpec;
import org.stablesoftmax.evaluate.ColumnarScan;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * The Arrow engine's transform of a partition ({@link ArrowTransform}, through
 * {@link Transform#rows}): byte-bounded batches so small that a partition becomes hundreds of
 * them give the rows of one batch, bit for bit, from Spark's rows and from Parquet's columnar
 * batches; and no Arrow memory is left, after a partition read to its end, after a task that
 * fails midway, and after one whose rows are not all read.
 */
class ArrowTransformTest extends SparkTestBase {

  private static final int ROWS = 400;
  private static final long TINY = 1024;
  private static final long HUGE = 1L << 30;
  /** The id at which the failing input throws: hundreds of batches into the partition. */
  private static final long FAIL_AT = 300;

  @TempDir
  static Path dir;

  /** The rows of each kind as one Parquet file. */
  @BeforeAll
  void writeParquet() {
    for (LogitsKind kind : LogitsKind.values()) {
      storedRows(kind).write().parquet(dir.resolve("parquet-" + kind).toString());
    }
  }

  @AfterEach
  void noArrowMemoryLeft() {
    ArrowMemory.assertNoneLeft();
  }

  // ------------------------------------------------------------------ the input

  /** The input's stored columns: logits, label, id, and a string to keep. */
  private static StructType stored(LogitsKind kind) {
    DataType element = kind == LogitsKind.FLOAT ? DataTypes.FloatType : DataTypes.DoubleType;
    return new StructType()
        .add("logits", DataTypes.createArrayType(element, true), true)
        .add("label", DataTypes.LongType, true)
        .add("id", DataTypes.LongType, false)
        .add("note", DataTypes.StringType, true);
  }

  /**
   * Seeded rows of 1 to 200 classes, every 97th of 2000, some at a large scale; null, empty, with
   * a null element, a NaN, masked classes; null labels and labels out of range.
   */
  private static List<Row> rows(LogitsKind kind) {
    SplittableRandom rng = new SplittableRandom(7);
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      int c = i % 97 == 0 ? 2000 : 1 + rng.nextInt(200);
      Object[] x = new Object[i % 43 == 0 ? 0 : c];
      for (int j = 0; j < x.length; j++) {
        double v = rng.nextGaussian() * (i % 5 == 0 ? 300 : 3);
        if (i % 59 == 0 && j % 3 == 0) {
          v = Double.NEGATIVE_INFINITY;
        }
        x[j] = kind == LogitsKind.FLOAT ? (Object) (float) v : (Object) v;
      }
      if (i % 47 == 0 && x.length > 1) {
        x[x.length / 2] = null;
      }
      if (i % 53 == 0 && x.length > 0) {
        x[0] = kind == LogitsKind.FLOAT ? (Object) Float.NaN : (Object) Double.NaN;
      }
      Long label = i % 13 == 0 ? null : (long) rng.nextInt(c + 1);
      out.add(RowFactory.create(i % 41 == 0 ? null : x, label, (long) i,
          i % 3 == 0 ? null : "row " + i));
    }
    return out;
  }

  /** The rows in one partition of an RDD (not a local relation, which Spark would fold). */
  private Dataset<Row> storedRows(LogitsKind kind) {
    return spark().createDataFrame(
        new JavaSparkContext(spark().sparkContext()).parallelize(rows(kind), 1), stored(kind));
  }

  /** The rows read from their Parquet file: Parquet's columnar batches. */
  private Dataset<Row> storedParquet(LogitsKind kind) {
    return spark().read().parquet(dir.resolve("parquet-" + kind).toString());
  }

  /**
   * The input as the job standardizes it (logits, label, id, file, row index, then the kept id
   * and note), its label {@code label}.
   */
  private static Dataset<Row> standardized(Dataset<Row> stored, Column label) {
    return stored.select(col("logits").as("__logits"), label.as("__label"),
        col("id").as("__id"), col("_metadata.file_path").as("__file"),
        col("_metadata.row_index").as("__row_index"), col("id"), col("note"));
  }

  private static Dataset<Row> standardizedRows(Dataset<Row> stored, Column label) {
    // an RDD has no _metadata: the file a constant, the row index the id
    return stored.select(col("logits").as("__logits"), label.as("__label"),
        col("id").as("__id"), lit("file:/data/rows").as("__file"), col("id").as("__row_index"),
        col("id"), col("note"));
  }

  private static TransformSpec spec(LogitsKind kind, long batchBytes) {
    StructType kept = new StructType().add("id", DataTypes.LongType, false)
        .add("note", DataTypes.StringType, true);
    return new TransformSpec(new StageSpec(kind, 0.7, NaiveDtype.FLOAT32, true, batchBytes,
        4096, kept), List.of(Output.values()), 5, "file:/data/");
  }

  /** A label that throws at {@link #FAIL_AT}: the input fails midway through the partition. */
  private static Column failingLabel() {
    UserDefinedFunction f = udf((Long id, Long label) -> {
      if (id == FAIL_AT) {
        throw new IllegalStateException("the input fails at row " + FAIL_AT);
      }
      return label;
    }, DataTypes.LongType);
    return f.apply(col("id"), col("label"));
  }

  /**
   * The rows of a Dataset in order, as Spark's internal rows: {@link UnsafeRow}s, whose equality
   * is that of their bytes.
   */
  private static List<InternalRow> internalRows(Dataset<Row> rows) {
    return rows.queryExecution().toRdd().toJavaRDD().map(InternalRow::copy).collect();
  }

  /** The same rows in the same order, each the same bytes. */
  private static void assertSameRows(List<InternalRow> expected, List<InternalRow> actual) {
    assertThat(actual).hasSize(ROWS).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i)).as("row %d, bit for bit", i).isEqualTo(expected.get(i));
    }
  }

  // ------------------------------------------------------------------ one partition, no Spark job

  /** The partition's rows out of one ArrowTransform, each as its bytes; its batch count. */
  private List<InternalRow> transform(List<InternalRow> in, TransformSpec spec, StructType out,
      int[] batches) {
    UnsafeProjection bytes = UnsafeProjection.create(out);
    int[] done = new int[1];
    ArrowTransform t = new ArrowTransform(spec, ArrowPartition.allocator("test"),
        ArrowTransform.rows(in.iterator()), () -> done[0]++);
    List<InternalRow> rows = new ArrayList<>();
    while (t.hasNext()) {
      rows.add(bytes.apply(t.next()).copy());
    }
    batches[0] = t.batches();
    assertThat(done[0]).as("done runs once, at the end").isEqualTo(1);
    // read to its end, it has closed its allocator
    ArrowMemory.assertNoneLeft();
    return rows;
  }

  @ParameterizedTest
  @EnumSource(LogitsKind.class)
  void manyBatchesGiveTheRowsOfOneBitForBit(LogitsKind kind) {
    Dataset<Row> input = standardizedRows(storedRows(kind), col("label"));
    List<InternalRow> in = internalRows(input);
    assertThat(in).hasSize(ROWS);
    StructType out = Transform.rows(spark(), input, spec(kind, HUGE), Engine.ARROW,
        Transform.counts(spark())).schema();
    int[] batches = new int[1];
    List<InternalRow> one = transform(in, spec(kind, HUGE), out, batches);
    assertThat(batches[0]).isEqualTo(1);
    List<InternalRow> many = transform(in, spec(kind, TINY), out, batches);
    assertThat(batches[0]).as("batches of %d bytes", TINY).isGreaterThan(ROWS / 3);
    assertSameRows(one, many);
  }

  @ParameterizedTest
  @EnumSource(LogitsKind.class)
  void inASparkJobManyBatchesGiveTheRowsOfOneFromRowsAndFromParquet(LogitsKind kind) {
    Dataset<Row> rows = standardizedRows(storedRows(kind), col("label"));
    Dataset<Row> parquet = standardized(storedParquet(kind), col("label"));
    assertThat(ColumnarScan.of(rows)).as("Spark's rows").isNull();
    assertThat(ColumnarScan.of(parquet)).as("Parquet's columnar batches").isNotNull();
    for (Dataset<Row> input : List.of(rows, parquet)) {
      Transform.Counts counts = Transform.counts(spark());
      List<InternalRow> many = internalRows(Transform.rows(spark(), input, spec(kind, TINY),
          Engine.ARROW, counts));
      List<InternalRow> one = internalRows(Transform.rows(spark(), input, spec(kind, HUGE),
          Engine.ARROW, Transform.counts(spark())));
      assertThat(counts.value().rows()).as("rows counted").isEqualTo(ROWS);
      assertThat(many).allMatch(r -> r instanceof UnsafeRow);
      assertSameRows(one, many);
    }
  }

  // ------------------------------------------------------------------ memory

  @ParameterizedTest
  @EnumSource(LogitsKind.class)
  void aPartitionThatFailsMidwayIsFreedByClose(LogitsKind kind) {
    Iterator<InternalRow> rows = internalRows(standardizedRows(storedRows(kind), col("label")))
        .iterator();
    Iterator<InternalRow> failing = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public InternalRow next() {
        InternalRow r = rows.next();
        if (r.getLong(2) == FAIL_AT) {
          throw new IllegalStateException("the input fails at row " + FAIL_AT);
        }
        return r;
      }
    };
    BufferAllocator allocator = ArrowPartition.allocator("test");
    ArrowTransform t = new ArrowTransform(spec(kind, TINY), allocator,
        ArrowTransform.rows(failing), () -> { });
    assertThatThrownBy(() -> {
      while (t.hasNext()) {
        t.next();
      }
    }).hasMessageContaining("fails at row");
    assertThat(t.batches()).as("batches before the failure").isGreaterThan(10);
    assertThat(allocator.getAllocatedMemory()).as("held until closed").isPositive();
    // what the task-completion listener does
    t.close();
    t.close();
  }

  @ParameterizedTest
  @EnumSource(LogitsKind.class)
  void aTaskThatFailsMidwayLeavesNoArrowMemory(LogitsKind kind) {
    Dataset<Row> rows = standardizedRows(storedRows(kind), failingLabel());
    Dataset<Row> parquet = standardized(storedParquet(kind), failingLabel());
    assertThat(ColumnarScan.of(parquet)).as("Parquet's columnar batches").isNotNull();
    for (Dataset<Row> input : List.of(rows, parquet)) {
      Dataset<Row> out = Transform.rows(spark(), input, spec(kind, TINY), Engine.ARROW,
          Transform.counts(spark()));
      assertThatThrownBy(out::collectAsList).isInstanceOf(SparkException.class)
          .hasStackTraceContaining("the input fails at row " + FAIL_AT);
      ArrowMemory.assertNoneLeft();
    }
  }

  @ParameterizedTest
  @EnumSource(LogitsKind.class)
  void aTaskWhoseRowsAreNotAllReadLeavesNoArrowMemory(LogitsKind kind) {
    for (Dataset<Row> input : List.of(standardizedRows(storedRows(kind), col("label")),
        standardized(storedParquet(kind), col("label")))) {
      Dataset<Row> out = Transform.rows(spark(), input, spec(kind, TINY), Engine.ARROW,
          Transform.counts(spark()));
      assertThat(out.limit(5).collectAsList()).hasSize(5);
      ArrowMemory.assertNoneLeft();
    }
  }
}
