package org.stablesoftmax.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.stats.PerClassStats.ClassFigures;

/**
 * {@code per_class.parquet}: one row per class that occurs as a label or a prediction, in class
 * order; an undefined figure (a precision of a class never predicted, a mean of no row) is null.
 */
final class PerClassTable {

  static final StructType SCHEMA = new StructType()
      .add("class", DataTypes.IntegerType, false)
      .add("support", DataTypes.LongType, false)
      .add("predicted", DataTypes.LongType, false)
      .add("true_positives", DataTypes.LongType, false)
      .add("support_weight", DataTypes.DoubleType, false)
      .add("precision", DataTypes.DoubleType, true)
      .add("recall", DataTypes.DoubleType, true)
      .add("f1", DataTypes.DoubleType, true)
      .add("mean_loss", DataTypes.DoubleType, true)
      .add("mean_confidence_when_predicted", DataTypes.DoubleType, true)
      .add("most_frequent_wrong_prediction", DataTypes.IntegerType, true)
      .add("most_frequent_wrong_prediction_rows", DataTypes.LongType, false)
      .add("calibration_error", DataTypes.DoubleType, true);

  private PerClassTable() {}

  /** Writes the classes' figures as one Parquet file's dataset at {@code path}. */
  static void write(SparkSession spark, List<ClassFigures> figures, String path) {
    List<Row> rows = new ArrayList<>(figures.size());
    for (ClassFigures f : figures) {
      rows.add(RowFactory.create(f.label(), f.support(), f.predicted(), f.truePositives(),
          f.supportWeight(), orNull(f.precision()), orNull(f.recall()), orNull(f.f1()),
          orNull(f.meanLoss()), orNull(f.meanConfidenceWhenPredicted()),
          f.mostFrequentWrong() < 0 ? null : f.mostFrequentWrong(), f.mostFrequentWrongRows(),
          orNull(f.calibrationError())));
    }
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(path);
  }

  private static Double orNull(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
