package org.stablesoftmax.udf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code softmax_row_result}, the row's result as the evaluate job counts it, field by field
 * against the public functions on the same row: {@code softmax_incidents}, {@code cross_entropy},
 * {@code argmax}, the label's place in {@code top_k} of every class, {@code softmax_entropy},
 * {@code max_probability}, {@code logsumexp} and {@code brier_score}, bit for bit, over the SQL tests' rows (null,
 * empty, NaN, ±inf, masked, null elements, labels out of range, invalid temperatures).
 */
class RowResultSqlTest extends SparkTestBase {

  @BeforeAll
  void registerAndLoadCases() {
    StableSoftmaxFunctions.register(spark());
    List<Row> rows = new ArrayList<>();
    for (SqlCase c : SqlCase.all()) {
      rows.add(c.toRow());
    }
    spark().createDataFrame(rows, SqlCase.SCHEMA).createOrReplaceTempView("cases");
  }

  private static Object bits(Row r, int i) {
    return r.isNullAt(i) ? null : Double.doubleToLongBits(r.getDouble(i));
  }

  @ParameterizedTest(name = "{0}, codegen {1}, naive {2}")
  @CsvSource({"xd, true, float32", "xf, true, float32", "xd, false, float16",
      "xf, false, float64"})
  void everyFieldIsThatOfThePublicFunction(String x, boolean codegen, String dtype) {
    withSqlConf(Map.of("spark.sql.codegen.wholeStage", String.valueOf(codegen),
        "spark.sql.codegen.factoryMode", codegen ? "CODEGEN_ONLY" : "NO_CODEGEN"), () -> {
      List<Row> rows = spark().sql(String.format("SELECT name, softmax_row_result(%1$s, label, t,"
          + " '%2$s') AS r, softmax_incidents(%1$s, label, '%2$s'), cross_entropy(%1$s, label,"
          + " t), argmax(%1$s), array_position(top_k(%1$s, 1000000), label) - 1,"
          + " softmax_entropy(%1$s, t), max_probability(%1$s, t), logsumexp(%1$s, t),"
          + " brier_score(%1$s, label, t), t IS NULL OR NOT (t BETWEEN 1e-300 AND 1e300),"
          + " %1$s IS NULL, label FROM cases",
          x, dtype)).collectAsList();
      assertThat(rows).hasSizeGreaterThan(150);
      for (Row row : rows) {
        String what = row.getString(0);
        Row r = row.getStruct(1);
        assertThat(r.getList(0)).as("%s incidents", what).isEqualTo(row.getList(2));
        boolean noValues = row.getBoolean(10) || row.getBoolean(11);
        if (noValues) {
          for (int i = 1; i < r.size(); i++) {
            assertThat(r.isNullAt(i)).as("%s field %d", what, i).isTrue();
          }
          continue;
        }
        assertThat(bits(r, 1)).as("%s loss", what).isEqualTo(bits(row, 3));
        assertThat(r.isNullAt(2) ? null : r.getInt(2)).as("%s prediction", what)
            .isEqualTo(row.isNullAt(4) ? null : row.getInt(4));
        // top_k's position, 0 for a label not among the classes
        Integer rank = row.isNullAt(5) || row.getLong(5) < 0 ? null : (int) row.getLong(5);
        assertThat(r.isNullAt(3) ? null : r.getInt(3)).as("%s label rank", what).isEqualTo(rank);
        assertThat(bits(r, 4)).as("%s entropy", what).isEqualTo(bits(row, 6));
        assertThat(bits(r, 5)).as("%s max probability", what).isEqualTo(bits(row, 7));
        assertThat(bits(r, 6)).as("%s logsumexp", what).isEqualTo(bits(row, 8));
        assertThat(bits(r, 7)).as("%s Brier score", what).isEqualTo(bits(row, 9));
        assertThat(r.isNullAt(8) ? null : r.getLong(8)).as("%s label", what)
            .isEqualTo(row.isNullAt(12) || row.getLong(12) < 0 ? null : row.getLong(12));
      }
    });
  }

  @ParameterizedTest(name = "codegen {0}")
  @CsvSource({"true", "false"})
  void theLossTakesPyTorchsSmoothingAndClassWeights(boolean codegen) {
    withSqlConf(Map.of("spark.sql.codegen.wholeStage", String.valueOf(codegen),
        "spark.sql.codegen.factoryMode", codegen ? "CODEGEN_ONLY" : "NO_CODEGEN"), () -> {
      double[][] rows = {{2.0, 0.5, -1.0}, {1000, 1001, 1002}, {0, Double.NEGATIVE_INFINITY, 3}};
      double[] weights = {1.0, 2.0, 0.5};
      for (double eps : new double[] {0.0, 0.1, 1.0}) {
        CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(eps)
            .classWeights(weights);
        for (double[] x : rows) {
          for (int label = 0; label < 3; label++) {
            Row r = spark().sql(String.format("SELECT softmax_row_result(array(%s), %d, 1.5,"
                + " 'float32', %s, array(1D, 2D, 0.5D)).loss", join(x), label, eps)).first();
            assertThat(bits(r, 0)).as("%s label %d eps %s", java.util.Arrays.toString(x), label,
                eps).isEqualTo(Double.doubleToLongBits(
                    StableSoftmax.crossEntropy(x, label, 1.5, o)));
          }
        }
      }
      // another class count than the weights': incident, no loss; invalid options: no values
      Row m = spark().sql("SELECT softmax_row_result(array(1D, 2D), 0, 1, 'float32', 0,"
          + " array(1D, 2D, 3D)), softmax_row_result(array(1D, 2D), 0, 1, 'float32', 1.5),"
          + " softmax_row_result(array(1D, 2D), 0, 1, 'float32', 0, array(1D, CAST('NaN' AS"
          + " DOUBLE))), softmax_row_result(array(1D, 2D), 0, 1, 'float32', 0, NULL)")
          .first();
      assertThat(m.getStruct(0).getList(0)).containsExactly("CLASS_COUNT_MISMATCH");
      assertThat(m.getStruct(0).isNullAt(1)).as("loss").isTrue();
      assertThat(m.getStruct(1).isNullAt(1)).as("smoothing 1.5").isTrue();
      assertThat(m.getStruct(2).isNullAt(1)).as("a NaN weight").isTrue();
      assertThat(m.getStruct(3).getDouble(1)).as("null weights: none")
          .isEqualTo(StableSoftmax.crossEntropy(new double[] {1, 2}, 0));
    });
  }

  @ParameterizedTest(name = "codegen {0}")
  @CsvSource({"true", "false"})
  void aSoftTargetGivesPyTorchsLossAndItsArgmaxAsTheLabel(boolean codegen) {
    withSqlConf(Map.of("spark.sql.codegen.wholeStage", String.valueOf(codegen),
        "spark.sql.codegen.factoryMode", codegen ? "CODEGEN_ONLY" : "NO_CODEGEN"), () -> {
      double[] x = {2.0, 0.5, -1.0};
      double[] t = {0.25, 0.5, 0.25};
      CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(0.1)
          .classWeights(new double[] {1.0, 2.0, 0.5});
      Row r = spark().sql(String.format("SELECT softmax_row_result(array(%s), NULL, 1.5,"
          + " 'float32', 0.1, array(1D, 2D, 0.5D), 'logits', array(%s)),"
          + " softmax_row_result(array(%1$s), 0, 1, 'float32', 0, NULL, 'logits',"
          + " array(0.5D, 0.6D, -0.1D)),"
          + " softmax_row_result(array(%1$s), 0, 1, 'float32', 0, NULL, 'logits', array(1D)),"
          + " softmax_row_result(array(%1$s), 0, 1, 'float32', 0, NULL, 'logits',"
          + " CAST(NULL AS ARRAY<DOUBLE>)),"
          + " softmax_row_result(array(%1$s), 0, 1, 'float32', 0, NULL, 'logits',"
          + " array(CAST(0.25 AS FLOAT), CAST(0.5 AS FLOAT), CAST(0.25 AS FLOAT)))",
          join(x), join(t))).first();
      Row soft = r.getStruct(0);
      assertThat(soft.getList(0)).isEmpty();
      assertThat(bits(soft, 1)).isEqualTo(Double.doubleToLongBits(
          StableSoftmax.softCrossEntropy(x, t, 1.5, o)));
      assertThat(soft.getLong(8)).as("the target's argmax").isEqualTo(1L);
      assertThat(r.getStruct(1).getList(0)).containsExactly("BAD_TARGET");
      assertThat(r.getStruct(1).isNullAt(1)).as("no loss").isTrue();
      assertThat(r.getStruct(1).isNullAt(8)).as("no label").isTrue();
      assertThat(r.getStruct(2).getList(0)).containsExactly("CLASS_COUNT_MISMATCH");
      assertThat(r.getStruct(3).getList(0)).containsExactly("BAD_TARGET");
      assertThat(bits(r.getStruct(4), 1)).as("a float target").isEqualTo(
          Double.doubleToLongBits(StableSoftmax.softCrossEntropy(x, t)));
    });
  }

  private static String join(double[] x) {
    StringBuilder sb = new StringBuilder();
    for (double v : x) {
      sb.append(sb.length() > 0 ? ", " : "").append("CAST('").append(v).append("' AS DOUBLE)");
    }
    return sb.toString();
  }
}
