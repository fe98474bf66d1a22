package org.stablesoftmax.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** The shared session base: its settings, per-class settings, conf restore, its comparisons. */
class SparkTestBaseTest extends SparkTestBase {

  private static final String SHUFFLE = "spark.sql.shuffle.partitions";

  @Override
  public SparkConf conf() {
    return super.conf().set("spark.sql.session.timeZone", "UTC");
  }

  @Test
  void oneLocalSessionWithThisClassesSettings() {
    assertThat(spark().sparkContext().master()).as("master").isEqualTo("local[2]");
    assertThat(spark().conf().get("spark.ui.enabled")).as("UI").isEqualTo("false");
    assertThat(spark().conf().get("spark.ui.showConsoleProgress")).as("progress bar")
        .isEqualTo("false");
    assertThat(spark().conf().get("spark.sql.session.timeZone")).as("the class's setting")
        .isEqualTo("UTC");
    assertThat(spark().conf().get("spark.sql.catalogImplementation")).as("no Hive")
        .isEqualTo("in-memory");
  }

  @Test
  void withSqlConfRestoresWhatWasThereAndUnsetsWhatWasNot() {
    String before = spark().conf().get(SHUFFLE);
    spark().conf().unset("spark.sql.ansi.enabled");
    withSqlConf(Map.of(SHUFFLE, "3", "spark.sql.ansi.enabled", "true"), () -> {
      assertThat(spark().conf().get(SHUFFLE)).as("inside").isEqualTo("3");
      assertThat(spark().conf().get("spark.sql.ansi.enabled")).as("inside").isEqualTo("true");
    });
    assertThat(spark().conf().get(SHUFFLE)).as("restored").isEqualTo(before);
    assertThat(spark().conf().contains("spark.sql.ansi.enabled")).as("unset again").isFalse();
    assertThatThrownBy(() -> withSqlConf(SHUFFLE, "5", () -> {
      throw new IllegalStateException("boom");
    })).hasMessage("boom");
    assertThat(spark().conf().get(SHUFFLE)).as("restored after a throw").isEqualTo(before);
  }

  @Test
  void bitsEqualTellsNegativeZeroFromZeroAndTakesNanForNan() {
    Dataset<Row> a = spark().sql("SELECT 1L AS id, CAST('NaN' AS DOUBLE) AS d,"
        + " array(CAST('NaN' AS FLOAT), -0F, 1.4E-45F) AS f");
    assertDataFrameBitsEqual(a, spark().sql("SELECT 1L AS id, CAST('NaN' AS DOUBLE) AS d,"
        + " array(CAST('NaN' AS FLOAT), -0F, 1.4E-45F) AS f"));
    assertThatThrownBy(() -> assertDataFrameEquals(a, a)).as("spark-testing-base alone")
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> assertDataFrameBitsEqual(a, spark().sql("SELECT 1L AS id,"
        + " CAST('NaN' AS DOUBLE) AS d, array(CAST('NaN' AS FLOAT), 0F, 1.4E-45F) AS f")))
        .as("-0.0 in an array").isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> assertDataFrameBitsEqual(
        spark().sql("SELECT 0.1D + 0.2D AS d"), spark().sql("SELECT 0.3D AS d")))
        .as("one ulp apart").isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> assertDataFrameBitsEqual(
        spark().sql("SELECT 1D AS d"), spark().sql("SELECT 1D AS e")))
        .as("another name").isInstanceOf(AssertionError.class);
  }
}
