package org.stablesoftmax.evaluate;

import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.arrow.ArrowLogitsWriter;
import org.stablesoftmax.arrow.ArrowPartition;
import org.stablesoftmax.arrow.ArrowSoftmaxStage;
import org.stablesoftmax.arrow.BatchColumns;
import org.stablesoftmax.arrow.ListRow;
import org.stablesoftmax.arrow.LogitsBatch;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.stats.PartitionStats;

/**
 * The Arrow engine's work on one partition: the rows packed by an {@link ArrowLogitsWriter}, run
 * through the {@link ArrowSoftmaxStage}, and each row's result folded into the partition's
 * {@link PartitionStats} by {@link RowScoring}.
 */
final class ArrowEvaluation implements AutoCloseable, ArrowSoftmaxStage.RowConsumer {

  private final RowScoring scoring;
  private final EvalSpec spec;
  /** The current batch's sample weights, or null. */
  private Float8Vector weights;
  /** The current batch's groups, or null. */
  private VarCharVector groups;
  private final BufferAllocator allocator;
  private final ArrowLogitsWriter writer;

  /** An evaluation whose Arrow vectors come from {@code allocator}, closed with it. */
  ArrowEvaluation(EvalSpec spec, BufferAllocator allocator) {
    this(spec, allocator, null);
  }

  /** An evaluation that also hands each row's outcome to a sink of {@code sinks} (or none). */
  ArrowEvaluation(EvalSpec spec, BufferAllocator allocator, RowScoring.SinkFactory sinks) {
    this.scoring = new RowScoring(spec).sink(sinks == null ? null : sinks.newSink());
    this.spec = spec;
    this.allocator = allocator;
    this.writer = new ArrowLogitsWriter(spec.stage(), allocator,
        new ArrowSoftmaxStage(spec.stage(), this));
  }

  /**
   * Evaluates one partition of rows: what the Arrow engine runs in {@code mapPartitions} when its
   * input is not a {@link ColumnarScan}.
   */
  static Engine.Scored evaluate(Iterator<InternalRow> input, EvalSpec spec) {
    return evaluate(input, spec, (RowScoring.SinkFactory) null);
  }

  /** {@link #evaluate(Iterator, EvalSpec)}, each row also handed to a sink of {@code sinks}. */
  static Engine.Scored evaluate(Iterator<InternalRow> input, EvalSpec spec,
      RowScoring.SinkFactory sinks) {
    return ArrowPartition.run("evaluate", allocator -> {
      try (ArrowEvaluation e = new ArrowEvaluation(spec, allocator, sinks)) {
        return new Engine.Scored(e.run(input), e.scoring.groups(), e.scoring.sink());
      }
    });
  }

  /** Evaluates one partition of a {@link ColumnarScan}'s batches. */
  static Engine.Scored evaluate(Iterator<ColumnarBatch> input, EvalSpec spec,
      ColumnarScan scan) {
    return evaluate(input, spec, scan, null);
  }

  /** {@link #evaluate(Iterator, EvalSpec, ColumnarScan)}, each row also handed to a sink. */
  static Engine.Scored evaluate(Iterator<ColumnarBatch> input, EvalSpec spec,
      ColumnarScan scan, RowScoring.SinkFactory sinks) {
    return ArrowPartition.run("evaluate", allocator -> {
      try (ArrowEvaluation e = new ArrowEvaluation(spec, allocator, sinks)) {
        return new Engine.Scored(e.run(input, scan.columns()), e.scoring.groups(),
            e.scoring.sink());
      }
    });
  }

  /** Packs and evaluates every row; the partition's state. */
  PartitionStats run(Iterator<InternalRow> input) {
    while (input.hasNext()) {
      writer.add(input.next());
    }
    writer.flush();
    return scoring.stats();
  }

  /** Packs and evaluates every row of the batches, their columns read as {@code columns}. */
  PartitionStats run(Iterator<ColumnarBatch> input, BatchColumns columns) {
    while (input.hasNext()) {
      writer.add(input.next(), columns);
    }
    writer.flush();
    return scoring.stats();
  }

  @Override
  public void beginBatch(LogitsBatch batch) {
    weights = spec.hasWeight() ? (Float8Vector) batch.kept().getVector(0) : null;
    groups = spec.hasGroup()
        ? (VarCharVector) batch.kept().getVector(spec.group() - EvalSpec.WEIGHT) : null;
  }

  /** The row's logits as doubles, for the classwise bins of --per-class. */
  private final ListRow logits = new ListRow();

  @Override
  public void row(LogitsBatch batch, int row, RowResult result) {
    if (spec.rowLogits()) {
      ListVector list = batch.logits();
      int n = list.isNull(row) || batch.nullElement(row) ? -1 : logits.read(list, row);
      scoring.logits(logits.values(), n);
    }
    boolean weightNull = weights != null && weights.isNull(row);
    scoring.row(result, batch.labelNull(row), batch.label(row), batch.idNull(row),
        batch.id(row), batch.file(row), batch.rowIndex(row), weightNull,
        weights == null || weightNull ? 1.0 : weights.get(row), group(row));
  }

  /** The row's group, in place in the Arrow buffer (null for none, or a null one). */
  private UTF8String group(int row) {
    if (groups == null || groups.isNull(row)) {
      return null;
    }
    long start = groups.getStartOffset(row);
    int length = (int) (groups.getEndOffset(row) - start);
    return UTF8String.fromAddress(null, groups.getDataBuffer().memoryAddress() + start, length);
  }

  /** The packing's batches so far (for tests). */
  ArrowLogitsWriter writer() {
    return writer;
  }

  @Override
  public void close() {
    writer.close();
    // throws if anything is still allocated: a leak fails the task
    allocator.close();
  }
}
