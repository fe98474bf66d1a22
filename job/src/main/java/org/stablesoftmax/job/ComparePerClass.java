package org.stablesoftmax.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code compare_per_class.parquet}: one row per class that is a label or a prediction of either
 * model over the compared pairs, in class order: its support (the same for both: the pairs'
 * labels agree), each model's precision, recall, F1 and mean loss, and B's minus A's; an
 * undefined figure is null.
 */
final class ComparePerClass {

  static final StructType SCHEMA;

  static {
    StructType s = new StructType().add("class", DataTypes.IntegerType, false)
        .add("support", DataTypes.LongType, false);
    for (String f : CompareSummary.CLASS_FIGURES) {
      s = s.add("a_" + f, DataTypes.DoubleType, true).add("b_" + f, DataTypes.DoubleType, true)
          .add("delta_" + f, DataTypes.DoubleType, true);
    }
    SCHEMA = s;
  }

  private ComparePerClass() {}

  /** Writes the classes' figures as one Parquet file's dataset at {@code path}. */
  static void write(SparkSession spark, List<CompareSummary.ClassDelta> classes, String path) {
    List<Row> rows = new ArrayList<>(classes.size());
    for (CompareSummary.ClassDelta c : classes) {
      Object[] v = new Object[2 + 3 * CompareSummary.CLASS_FIGURES.length];
      v[0] = c.label();
      v[1] = c.support();
      for (int f = 0; f < CompareSummary.CLASS_FIGURES.length; f++) {
        v[2 + 3 * f] = orNull(c.a(f));
        v[3 + 3 * f] = orNull(c.b(f));
        v[4 + 3 * f] = orNull(c.delta(f));
      }
      rows.add(RowFactory.create(v));
    }
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(path);
  }

  private static Double orNull(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
