package org.stablesoftmax.udf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code logsumexp_weighted} and {@code logsumexp_sign} in SQL, generated code or interpreted:
 * bit for bit the kernel's {@code StableSoftmax.logSumExp(x, b)} and
 * {@code logSumExpWithSign(x, b)}, for float and double arrays; null for arrays of different
 * sizes and for null arguments.
 */
class WeightedLogSumExpSqlTest extends SparkTestBase {

  private static final double[][][] ROWS = {
      {{0, 1, 2}, {1, 1, 1}},
      {{0, 1}, {1, -1}},
      {{1000, 1000.5, -3}, {0.25, 0, 4}},
      {{5, 5}, {2, -2}},
      {{Double.POSITIVE_INFINITY, 0}, {-1, 1}},
      {{Double.NaN, 0}, {0, 3}},
      {{}, {}},
  };

  @BeforeAll
  void register() {
    StableSoftmaxFunctions.register(spark());
  }

  private static String array(double[] v, String type) {
    StringBuilder sb = new StringBuilder("CAST(array(");
    for (int i = 0; i < v.length; i++) {
      sb.append(i > 0 ? ", " : "").append("CAST('").append(v[i]).append("' AS DOUBLE)");
    }
    return sb.append(") AS array<").append(type).append(">)").toString();
  }

  @ParameterizedTest(name = "codegen {0}")
  @ValueSource(booleans = {true, false})
  void bothAreTheKernelsBitForBit(boolean codegen) {
    withSqlConf(Map.of("spark.sql.codegen.wholeStage", String.valueOf(codegen),
        "spark.sql.codegen.factoryMode", codegen ? "CODEGEN_ONLY" : "NO_CODEGEN"), () -> {
      for (double[][] r : ROWS) {
        for (String type : new String[] {"double", "float"}) {
          double[] x = r[0].clone();
          if (type.equals("float")) {
            for (int i = 0; i < x.length; i++) {
              x[i] = (float) x[i];
            }
          }
          Row row = spark().sql("SELECT logsumexp_weighted(" + array(x, type) + ", "
              + array(r[1], "double") + "), logsumexp_sign(" + array(x, type) + ", "
              + array(r[1], type) + ")").first();
          double[] b = r[1].clone();
          if (type.equals("float")) {
            for (int i = 0; i < b.length; i++) {
              b[i] = (float) b[i];
            }
          }
          double[] signed = StableSoftmax.logSumExpWithSign(x, b);
          assertThat(Double.doubleToLongBits(row.getDouble(0))).as("%s %s", type, x)
              .isEqualTo(Double.doubleToLongBits(StableSoftmax.logSumExp(x, r[1])));
          Row s = row.getStruct(1);
          assertThat(Double.doubleToLongBits(s.getDouble(0)))
              .isEqualTo(Double.doubleToLongBits(signed[0]));
          assertThat(Double.doubleToLongBits(s.getDouble(1)))
              .isEqualTo(Double.doubleToLongBits(signed[1]));
        }
      }
      List<Row> nulls = spark().sql("SELECT logsumexp_weighted(array(1D, 2D), array(1D)),"
          + " logsumexp_sign(array(1D), array(1D, 2D)), logsumexp_weighted(NULL, array(1D)),"
          + " logsumexp_sign(array(1D), CAST(NULL AS array<double>))").collectAsList();
      for (int i = 0; i < 4; i++) {
        assertThat(nulls.get(0).isNullAt(i)).as("column %d", i).isTrue();
      }
    });
  }
}
