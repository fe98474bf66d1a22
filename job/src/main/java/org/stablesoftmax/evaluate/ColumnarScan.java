package org.stablesoftmax.evaluate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.optimizer.CollapseProject$;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.stablesoftmax.arrow.BatchColumns;
import org.stablesoftmax.arrow.InputColumns;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The Arrow engine's input read as the Parquet reader decodes it: the scan's columnar batches,
 * without Spark turning them into rows first (which copies every array element by element).
 *
 * <p>Applies when the input's physical plan is projections over a columnar scan, as Spark plans
 * a Parquet read of arrays of float or double with its vectorized reader: the logits column is
 * then taken from the batches as they are, and the other columns (label, id, file, row index)
 * are computed from each batch row by the plan's own projections, collapsed into one.
 */
public final class ColumnarScan implements Serializable {

  private static final long serialVersionUID = 1L;

  private final transient RDD<ColumnarBatch> batches;
  /** The logits' column in the scan's batches. */
  private final int logitsColumn;
  /** The input's columns over the scan's output, the logits and the file replaced by nulls. */
  private final Seq<Expression> scalars;
  /** The file's column over the scan's output. */
  private final Seq<Expression> file;
  private final Seq<Attribute> scanOutput;

  private ColumnarScan(RDD<ColumnarBatch> batches, int logitsColumn, Seq<Expression> scalars,
      Seq<Expression> file, Seq<Attribute> scanOutput) {
    this.batches = batches;
    this.logitsColumn = logitsColumn;
    this.scalars = scalars;
    this.file = file;
    this.scanOutput = scanOutput;
  }

  /**
   * The input's columnar scan, or null when its plan is not projections over one, or its logits
   * are not an array column of it.
   */
  public static ColumnarScan of(Dataset<Row> input) {
    SparkPlan p = input.queryExecution().executedPlan();
    List<ProjectExec> projects = new ArrayList<>();
    while (!(p instanceof ColumnarToRowExec)) {
      if (p instanceof WholeStageCodegenExec) {
        p = ((WholeStageCodegenExec) p).child();
      } else if (p instanceof ProjectExec) {
        projects.add((ProjectExec) p);
        p = ((ProjectExec) p).child();
      } else {
        return null;
      }
    }
    SparkPlan scan = ((ColumnarToRowExec) p).child();
    if (scan instanceof InputAdapter) {
      scan = ((InputAdapter) scan).child();
    }
    if (!scan.supportsColumnar() || !scan.children().isEmpty()) {
      return null;
    }
    // the input's columns as expressions over the scan's output
    Seq<NamedExpression> columns = projects.isEmpty()
        ? toSeq(new ArrayList<NamedExpression>(JavaConverters.seqAsJavaList(scan.output())))
        : projects.get(0).projectList();
    for (int i = 1; i < projects.size(); i++) {
      columns = CollapseProject$.MODULE$.buildCleanedProjectList(columns,
          projects.get(i).projectList());
    }
    List<NamedExpression> list = JavaConverters.seqAsJavaList(columns);
    // every NamedExpression is an Expression (a Scala trait Java does not see as one)
    List<Expression> scalars = new ArrayList<>();
    for (NamedExpression e : list) {
      scalars.add((Expression) e);
    }
    Expression logits = scalars.get(InputColumns.LOGITS);
    if (logits instanceof Alias) {
      logits = ((Alias) logits).child();
    }
    if (!(logits instanceof AttributeReference) || !(logits.dataType() instanceof ArrayType)) {
      return null;
    }
    List<Attribute> output = JavaConverters.seqAsJavaList(scan.output());
    int logitsColumn = -1;
    for (int i = 0; i < output.size(); i++) {
      if (output.get(i).exprId().equals(((AttributeReference) logits).exprId())) {
        logitsColumn = i;
      }
    }
    if (logitsColumn < 0) {
      return null;
    }
    scalars.set(InputColumns.LOGITS, Literal.create(null, logits.dataType()));
    Expression file = scalars.get(InputColumns.FILE);
    scalars.set(InputColumns.FILE, Literal.create(null, file.dataType()));
    return new ColumnarScan(scan.executeColumnar(), logitsColumn, toSeq(scalars),
        toSeq(List.of(file)), scan.output());
  }

  private static <T> Seq<T> toSeq(List<T> list) {
    return JavaConverters.asScalaBuffer(list).toSeq();
  }

  /** The scan's batches, partitioned as the input's rows. */
  public RDD<ColumnarBatch> batches() {
    return batches;
  }

  /** How the Arrow stage reads the batches' columns; made in the task. */
  public BatchColumns columns() {
    return new BatchColumns(logitsColumn, UnsafeProjection.create(scalars, scanOutput),
        UnsafeProjection.create(file, scanOutput));
  }
}
