package org.stablesoftmax.arrow;

import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;

/**
 * How {@link ArrowLogitsWriter} reads the stage's columns from a Spark columnar batch of a file
 * scan: the logits from column {@code logits} as they are, the other columns (at
 * {@link InputColumns#LOGITS} ...) from {@code perRow} of each batch row, except the file, which
 * {@code file} gives from the batch's first row (a scan's batch holds one file's rows). The
 * projections are made in the task.
 */
public record BatchColumns(int logits, UnsafeProjection perRow, UnsafeProjection file) {}
