package org.stablesoftmax.evaluate;

import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.stablesoftmax.arrow.ArrowLogitsWriter;
import org.stablesoftmax.arrow.ArrowPartition;
import org.stablesoftmax.arrow.ArrowSoftmaxStage;
import org.stablesoftmax.arrow.BatchColumns;
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
  private final boolean hasWeight;
  /** The current batch's sample weights, or null. */
  private Float8Vector weights;
  private final BufferAllocator allocator;
  private final ArrowLogitsWriter writer;

  /** An evaluation whose Arrow vectors come from {@code allocator}, closed with it. */
  ArrowEvaluation(EvalSpec spec, BufferAllocator allocator) {
    this.scoring = new RowScoring(spec);
    this.hasWeight = spec.hasWeight();
    this.allocator = allocator;
    this.writer = new ArrowLogitsWriter(spec.stage(), allocator,
        new ArrowSoftmaxStage(spec.stage(), this));
  }

  /**
   * Evaluates one partition of rows: what the Arrow engine runs in {@code mapPartitions} when its
   * input is not a {@link ColumnarScan}.
   */
  static PartitionStats evaluate(Iterator<InternalRow> input, EvalSpec spec) {
    return ArrowPartition.run("evaluate", allocator -> {
      try (ArrowEvaluation e = new ArrowEvaluation(spec, allocator)) {
        return e.run(input);
      }
    });
  }

  /** Evaluates one partition of a {@link ColumnarScan}'s batches. */
  static PartitionStats evaluate(Iterator<ColumnarBatch> input, EvalSpec spec,
      ColumnarScan scan) {
    return ArrowPartition.run("evaluate", allocator -> {
      try (ArrowEvaluation e = new ArrowEvaluation(spec, allocator)) {
        return e.run(input, scan.columns());
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
    weights = hasWeight ? (Float8Vector) batch.kept().getVector(0) : null;
  }

  @Override
  public void row(LogitsBatch batch, int row, RowResult result) {
    boolean weightNull = weights != null && weights.isNull(row);
    scoring.row(result, batch.labelNull(row), batch.label(row), batch.idNull(row),
        batch.id(row), batch.file(row), batch.rowIndex(row), weightNull,
        weights == null || weightNull ? 1.0 : weights.get(row));
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
