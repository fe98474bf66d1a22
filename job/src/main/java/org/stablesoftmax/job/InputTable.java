package org.stablesoftmax.job;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.rint;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;
import org.stablesoftmax.evaluate.EvalSpec;
import org.stablesoftmax.evaluate.EvalSpec.LogitsKind;

/**
 * The input as the engines read it, its columns checked: {@code logits} (as stored), {@code label}
 * (bigint; an integral double converted, any other double as an out-of-range label; null when
 * there is none), {@code id} (bigint or null), and the row's file and index in it, in the order
 * of {@link EvalSpec#LOGITS} ... .
 */
final class InputTable {

  /** A label double that is not an integer reads as this: out of range for every row. */
  static final long NOT_A_CLASS = Long.MIN_VALUE;

  final Dataset<Row> rows;
  final StructType schema;
  final LogitsKind logitsKind;

  private InputTable(Dataset<Row> rows, StructType schema, LogitsKind logitsKind) {
    this.rows = rows;
    this.schema = schema;
    this.logitsKind = logitsKind;
  }

  static InputTable read(SparkSession spark, InputFiles files, String logitsCol, String labelCol,
      String idCol) {
    DataFrameReader reader = spark.read();
    String written = files.sparkSchema();
    if (written != null) {
      // the schema every file says it was written with: what Spark would infer, without a job
      reader = reader.schema((StructType) DataType.fromJson(written));
    }
    Dataset<Row> df;
    try {
      if (files.unreadable.isEmpty()) {
        df = reader.parquet(files.input);
      } else {
        if (files.isDirectory) {
          reader = reader.option("basePath", files.input);
        }
        df = reader.parquet(files.readable.stream().map(InputFiles.Footer::path)
            .toArray(String[]::new));
      }
    } catch (Exception e) {
      throw new UserError("Cannot read " + files.input + " as Parquet: " + Main.oneLine(e), e);
    }
    StructType schema = df.schema();
    StructField logits = field(schema, logitsCol, "logits", files.input, "--logits-col");
    LogitsKind kind = logitsKind(logits, files.input);
    Column label = lit(null).cast(DataTypes.LongType);
    if (labelCol != null) {
      StructField f = schema.getFieldIndex(labelCol).isDefined()
          ? schema.apply(labelCol) : null;
      if (f == null) {
        throw new UserError("The label column '" + labelCol + "' is not in " + files.input
            + " (columns: " + String.join(", ", schema.fieldNames())
            + "); pass --label-col NAME, or --no-label for softmax-only metrics.");
      }
      label = labelColumn(f, files.input);
    }
    Column id = lit(null).cast(DataTypes.LongType);
    if (idCol != null) {
      StructField f = field(schema, idCol, "id", files.input, "--id-col");
      if (!(f.dataType() instanceof IntegralType)) {
        throw wrongType("id", f, files.input, "an integer type (int, bigint, ...)");
      }
      id = col(quote(idCol)).cast(DataTypes.LongType);
    }
    Dataset<Row> rows = df.select(col(quote(logitsCol)).as("logits"), label.as("label"),
        id.as("id"), col("_metadata.file_path").as("file"),
        col("_metadata.row_index").as("row_index"));
    return new InputTable(rows, schema, kind);
  }

  private static StructField field(StructType schema, String name, String what, String input,
      String option) {
    if (schema.getFieldIndex(name).isEmpty()) {
      throw new UserError("The " + what + " column '" + name + "' is not in " + input
          + " (columns: " + String.join(", ", schema.fieldNames()) + "); pass " + option
          + " NAME.");
    }
    return schema.apply(name);
  }

  private static LogitsKind logitsKind(StructField f, String input) {
    DataType t = f.dataType();
    if (t instanceof ArrayType) {
      DataType e = ((ArrayType) t).elementType();
      if (e.equals(DataTypes.FloatType)) {
        return LogitsKind.FLOAT;
      }
      if (e.equals(DataTypes.DoubleType)) {
        return LogitsKind.DOUBLE;
      }
    }
    if (t instanceof UserDefinedType && Arrays.asList("org.apache.spark.ml.linalg.VectorUDT",
        "org.apache.spark.mllib.linalg.VectorUDT").contains(t.getClass().getName())) {
      return LogitsKind.VECTOR;
    }
    throw wrongType("logits", f, input, "array<float>, array<double> or an MLlib Vector");
  }

  private static Column labelColumn(StructField f, String input) {
    DataType t = f.dataType();
    Column c = col(quote(f.name()));
    if (t instanceof IntegralType) {
      return c.cast(DataTypes.LongType);
    }
    if (t.equals(DataTypes.DoubleType) || t.equals(DataTypes.FloatType)) {
      // 2^62 bounds what a long holds exactly; NaN, inf and fractions are no class
      return when(c.equalTo(rint(c)).and(abs(c).lt(0x1p62)), c.cast(DataTypes.LongType))
          .when(c.isNotNull(), lit(NOT_A_CLASS));
    }
    throw wrongType("label", f, input, "int, bigint or an integral double");
  }

  private static UserError wrongType(String what, StructField f, String input, String expected) {
    return new UserError("The " + what + " column '" + f.name() + "' in " + input + " has type "
        + f.dataType().simpleString() + "; expected " + expected + ".");
  }

  private static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
