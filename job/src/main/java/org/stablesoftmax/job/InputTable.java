package org.stablesoftmax.job;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.rint;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;
import org.stablesoftmax.arrow.InputColumns;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.evaluate.EvalSpec;

/**
 * The input as the engines read it, its columns checked: the logits (as stored), the label
 * (bigint; an integral double converted, any other double as an out-of-range label; null when
 * there is none), the id (bigint or null), and the row's file and index in it, in the order of
 * {@link InputColumns#LOGITS} ..., under names of their own ({@link #COLUMN_PREFIX}); then the
 * input columns to keep, as they are, from {@link InputColumns#KEPT} on.
 */
final class InputTable {

  /** A label double that is not an integer reads as this: out of range for every row. */
  static final long NOT_A_CLASS = Long.MIN_VALUE;

  /** Parquet's setting (ParquetInputFormat's) that verifies page checksums as pages are read. */
  static final String VERIFY_CHECKSUMS = "parquet.page.verify-checksum.enabled";

  /** Begins the names of the standardized columns, which no input column is expected to use. */
  static final String COLUMN_PREFIX = "__stablesoftmax_";

  final Dataset<Row> rows;
  final StructType schema;
  final LogitsKind logitsKind;
  /** The kept input columns, as they are in {@link #rows} from {@link InputColumns#KEPT} on. */
  final StructType kept;

  private InputTable(Dataset<Row> rows, StructType schema, LogitsKind logitsKind,
      StructType kept) {
    this.rows = rows;
    this.schema = schema;
    this.logitsKind = logitsKind;
    this.kept = kept;
  }

  /**
   * The input as tables of files that agree on the types of the logits, label and id columns:
   * one table in the usual case; files of {@code array<float>} and {@code array<double>} logits
   * (say) are read apart, so each row gives what it gives when its file is read alone. Every
   * readable file is read, in subdirectories too; {@code key=value} directories below a directory
   * input are partition columns.
   *
   * @throws UserError if a column is missing or of a type that is not read, naming the column,
   *     and where the files disagree, two files and their types
   */
  static List<InputTable> read(SparkSession spark, InputFiles files, String logitsCol,
      String labelCol, String idCol) {
    return read(spark, files, logitsCol, labelCol, idCol, List.of());
  }

  /**
   * {@link #read(SparkSession, InputFiles, String, String, String)}, keeping the input columns
   * {@code keep} (null: every column) after the standardized ones.
   *
   * @throws UserError also if a column to keep is not in the input
   */
  static List<InputTable> read(SparkSession spark, InputFiles files, String logitsCol,
      String labelCol, String idCol, List<String> keep) {
    return read(spark, files, logitsCol, labelCol, idCol, keep, "--keep");
  }

  /**
   * {@link #read(SparkSession, InputFiles, String, String, String, List)}, a missing column to
   * keep named as the value of {@code keepOption}.
   */
  static List<InputTable> read(SparkSession spark, InputFiles files, String logitsCol,
      String labelCol, String idCol, List<String> keep, String keepOption) {
    Map<List<String>, List<InputFiles.Footer>> groups = groups(files, logitsCol, labelCol, idCol);
    List<InputTable> tables = new ArrayList<>();
    for (Map.Entry<List<String>, List<InputFiles.Footer>> g : groups.entrySet()) {
      try {
        tables.add(read(spark, files, g.getValue(), logitsCol, labelCol, idCol, keep,
            keepOption));
      } catch (UserError e) {
        if (groups.size() == 1) {
          throw e;
        }
        throw disagreement(groups, g.getKey(), Arrays.asList(logitsCol, labelCol, idCol), e);
      }
    }
    return tables;
  }

  /** The readable files by the types of the logits, label and id columns in their footers. */
  private static Map<List<String>, List<InputFiles.Footer>> groups(InputFiles files,
      String logitsCol, String labelCol, String idCol) {
    Map<List<String>, List<InputFiles.Footer>> groups = new LinkedHashMap<>();
    for (InputFiles.Footer f : files.readable) {
      StructType s = f.schema();
      List<String> types = new ArrayList<>();
      for (String c : Arrays.asList(logitsCol, labelCol, idCol)) {
        types.add(c == null || s.getFieldIndex(c).isEmpty() ? null
            : s.apply(c).dataType().simpleString());
      }
      groups.computeIfAbsent(types, k -> new ArrayList<>()).add(f);
    }
    return groups;
  }

  /**
   * The input as one table, for a command that writes one dataset of one schema.
   *
   * @throws UserError also where the input's files disagree on a column's type
   */
  static InputTable readOne(SparkSession spark, InputFiles files, String logitsCol,
      String labelCol, String idCol, List<String> keep, String why) {
    List<InputTable> tables = read(spark, files, logitsCol, labelCol, idCol, keep);
    if (tables.size() == 1) {
      return tables.get(0);
    }
    Map<List<String>, List<InputFiles.Footer>> groups = groups(files, logitsCol, labelCol, idCol);
    throw disagreement(groups, groups.keySet().iterator().next(),
        Arrays.asList(logitsCol, labelCol, idCol), new UserError(why));
  }

  /** The files' disagreement on a column, naming a file of {@code bad} and one of another kind. */
  private static UserError disagreement(Map<List<String>, List<InputFiles.Footer>> groups,
      List<String> bad, List<String> columns, UserError cause) {
    String[] what = {"logits", "label", "id"};
    for (Map.Entry<List<String>, List<InputFiles.Footer>> other : groups.entrySet()) {
      for (int c = 0; c < columns.size(); c++) {
        String a = bad.get(c);
        String b = other.getKey().get(c);
        if (!Objects.equals(a, b)) {
          return new UserError("The input's files disagree on the " + what[c] + " column '"
              + columns.get(c) + "': it has type " + (a == null ? "(none: not in the file)" : a)
              + " in " + groups.get(bad).get(0).path() + " but "
              + (b == null ? "(none: not in the file)" : b) + " in "
              + other.getValue().get(0).path() + "; " + Character.toLowerCase(
                  cause.getMessage().charAt(0)) + cause.getMessage().substring(1), cause);
        }
      }
    }
    return cause;
  }

  private static InputTable read(SparkSession spark, InputFiles files,
      List<InputFiles.Footer> group, String logitsCol, String labelCol, String idCol,
      List<String> keep, String keepOption) {
    // Parquet page checksums, where files carry them, are verified as the pages are read
    DataFrameReader reader = spark.read().option(VERIFY_CHECKSUMS, "true");
    String written = InputFiles.sparkSchema(group);
    if (written != null) {
      // the schema every file says it was written with: what Spark would infer, without a job
      reader = reader.schema((StructType) DataType.fromJson(written));
    }
    if (files.isDirectory) {
      reader = reader.option("basePath", files.input);
    }
    String name = name(files, group);
    Dataset<Row> df;
    try {
      // the files themselves, not the directory: Spark does not look into plain subdirectories
      df = reader.parquet(group.stream().map(InputFiles.Footer::path).toArray(String[]::new));
    } catch (Exception e) {
      throw new UserError("Cannot read " + files.input + " as Parquet: " + Main.oneLine(e), e);
    }
    StructType schema = df.schema();
    StructField logits = field(schema, logitsCol, "logits", name, "--logits-col");
    LogitsKind kind = logitsKind(logits, name);
    Column logitsColumn = col(quote(logitsCol));
    if (isVector(logits.dataType())) {
      // one decoder of MLlib vectors, Spark's own (dense and sparse to array<double>); it takes
      // no null, so a null vector stays null without it
      logitsColumn = when(logitsColumn.isNull(), lit(null).cast(DOUBLES))
          .otherwise(org.apache.spark.ml.functions.vector_to_array(logitsColumn, "float64"));
    }
    Column label = lit(null).cast(DataTypes.LongType);
    if (labelCol != null) {
      StructField f = schema.getFieldIndex(labelCol).isDefined()
          ? schema.apply(labelCol) : null;
      if (f == null) {
        throw new UserError("The label column '" + labelCol + "' is not in " + name
            + " (columns: " + String.join(", ", schema.fieldNames())
            + "); pass --label-col NAME, or --no-label for softmax-only metrics.");
      }
      label = labelColumn(f, name);
    }
    Column id = lit(null).cast(DataTypes.LongType);
    if (idCol != null) {
      StructField f = field(schema, idCol, "id", name, "--id-col");
      if (!(f.dataType() instanceof IntegralType)) {
        throw wrongType("id", f, name, "an integer type (int, bigint, ...)");
      }
      id = col(quote(idCol)).cast(DataTypes.LongType);
    }
    List<Column> columns = new ArrayList<>(List.of(logitsColumn.as(COLUMN_PREFIX + "logits"),
        label.as(COLUMN_PREFIX + "label"), id.as(COLUMN_PREFIX + "id"),
        col("_metadata.file_path").as(COLUMN_PREFIX + "file"),
        col("_metadata.row_index").as(COLUMN_PREFIX + "row_index")));
    StructType kept = new StructType();
    for (String k : keep == null ? Arrays.asList(schema.fieldNames()) : keep) {
      if (schema.getFieldIndex(k).isEmpty()) {
        throw new UserError("The column '" + k + "' to keep is not in " + name
            + " (columns: " + String.join(", ", schema.fieldNames()) + "); fix " + keepOption
            + ".");
      }
      kept = kept.add(schema.apply(k));
      columns.add(col(quote(k)));
    }
    return new InputTable(df.select(columns.toArray(new Column[0])), schema, kind, kept);
  }

  /** The input, or the group's first file when the input's files are read in groups. */
  private static String name(InputFiles files, List<InputFiles.Footer> group) {
    return group.size() == files.readable.size() ? files.input : group.get(0).path();
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
    if (isVector(t)) {
      return LogitsKind.DOUBLE;
    }
    throw wrongType("logits", f, input, "array<float>, array<double> or an MLlib Vector");
  }

  private static final DataType DOUBLES = DataTypes.createArrayType(DataTypes.DoubleType);

  /** Whether a column holds MLlib vectors (ml or the older mllib). */
  private static boolean isVector(DataType t) {
    return t instanceof UserDefinedType && Arrays.asList("org.apache.spark.ml.linalg.VectorUDT",
        "org.apache.spark.mllib.linalg.VectorUDT").contains(t.getClass().getName());
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

  /**
   * The rows of a table read keeping the sample weight column (a number), then the soft target
   * column (an array of float or double), then the group column (a string or an integer), as
   * there are: the weight read as double at {@code EvalSpec.WEIGHT}, the target as
   * {@code array<double>} at {@code EvalSpec.target()}, the group as a string at
   * {@code EvalSpec.group()}.
   *
   * @throws UserError if a column is not of its type, naming it
   */
  Dataset<Row> forEvaluation(String input, boolean hasWeight, boolean hasTarget,
      boolean hasGroup) {
    String[] names = rows.columns();
    Column[] columns = new Column[names.length];
    for (int i = 0; i < names.length; i++) {
      columns[i] = col(quote(names[i]));
    }
    int at = InputColumns.KEPT;
    if (hasWeight) {
      StructField f = kept.fields()[0];
      if (!(f.dataType() instanceof NumericType)) {
        throw wrongType("weight", f, input, "a number (float, double, int, ...)");
      }
      columns[at] = columns[at].cast(DataTypes.DoubleType)
          .as(EvalSpec.WEIGHT_COLUMN.fieldNames()[0]);
      at++;
    }
    if (hasTarget) {
      StructField f = kept.fields()[at - InputColumns.KEPT];
      DataType t = f.dataType();
      DataType e = t instanceof ArrayType ? ((ArrayType) t).elementType() : null;
      if (!DataTypes.FloatType.equals(e) && !DataTypes.DoubleType.equals(e)) {
        throw wrongType("target", f, input, "array<float> or array<double> of class"
            + " probabilities");
      }
      columns[at] = columns[at].cast(EvalSpec.TARGET_COLUMN.fields()[0].dataType())
          .as(EvalSpec.TARGET_COLUMN.fieldNames()[0]);
      at++;
    }
    if (hasGroup) {
      StructField f = kept.fields()[at - InputColumns.KEPT];
      DataType t = f.dataType();
      if (!(t instanceof StringType || t instanceof IntegralType)) {
        throw wrongType("group", f, input, "a string or an integer");
      }
      columns[at] = columns[at].cast(DataTypes.StringType)
          .as(EvalSpec.GROUP_COLUMN.fieldNames()[0]);
      at++;
    }
    // a kept column not asked for (the group's, for a step of --fit-temperature) is left out
    return rows.select(Arrays.copyOf(columns, at));
  }

  private static UserError wrongType(String what, StructField f, String input, String expected) {
    return new UserError("The " + what + " column '" + f.name() + "' in " + input + " has type "
        + f.dataType().simpleString() + "; expected " + expected + ".");
  }

  private static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
