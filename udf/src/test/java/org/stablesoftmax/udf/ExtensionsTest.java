package org.stablesoftmax.udf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * A session built with nothing but {@code spark.sql.extensions} has every function, with no
 * call to {@code register}: what {@code --conf} gives spark-sql, spark-shell and PySpark.
 */
class ExtensionsTest extends SparkTestBase {

  @Override
  public SparkConf conf() {
    return super.conf().set("spark.sql.extensions", StableSoftmaxExtensions.class.getName());
  }

  @Test
  void sqlFindsEveryFunctionThroughTheExtension() {
    for (SoftmaxFunction function : SoftmaxFunction.values()) {
      assertThat(spark().catalog().functionExists(function.sqlName()))
          .as(function.sqlName()).isTrue();
    }
    List<Row> rows = spark().sql("SELECT id, cross_entropy(logits, label) AS loss,"
        + " softmax(logits) AS p, softmax_incidents(logits, label) AS incidents FROM VALUES"
        + " (0, array(1000F, 1001F, 1002F), 0), (1, array(1F, 2F, 3F), 2) AS t(id, logits, label)"
        + " ORDER BY id").collectAsList();
    float[][] logits = {{1000, 1001, 1002}, {1, 2, 3}};
    int[] labels = {0, 2};
    for (int i = 0; i < 2; i++) {
      Row r = rows.get(i);
      assertThat(r.getDouble(1)).isEqualTo(StableSoftmax.crossEntropy(logits[i], labels[i]));
      float[] p = StableSoftmax.softmax(logits[i]);
      assertThat(r.<Float>getList(2)).containsExactly(p[0], p[1], p[2]);
    }
    assertThat(rows.get(0).<String>getList(3)).containsExactly("NAIVE_OVERFLOW");
    assertThat(rows.get(1).<String>getList(3)).isEmpty();
  }

  /** Each sql block of the README followed by a text block: the query and its show(false). */
  @Test
  void theReadmeQueriesPrintWhatTheReadmeShows() throws IOException {
    List<ReadmeQueries> examples = ReadmeQueries.read();
    assertThat(examples).as("sql examples in the README").hasSizeGreaterThanOrEqualTo(2);
    for (ReadmeQueries e : examples) {
      assertThat(spark().sql(e.sql()).showString(20, 0, false).strip()).as(e.sql())
          .isEqualTo(e.shown());
    }
  }

  @Test
  void describeFunctionShowsTheUsage() {
    List<String> lines = spark().sql("DESCRIBE FUNCTION cross_entropy").as(
        org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertThat(lines).anySatisfy(line -> assertThat(line)
        .contains("cross_entropy(logits, label [, temperature])"));
  }
}
