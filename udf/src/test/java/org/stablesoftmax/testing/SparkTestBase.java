package org.stablesoftmax.testing;

import static org.apache.spark.sql.functions.transform;

import com.holdenkarau.spark.testing.JavaDatasetSuiteBase;
import com.holdenkarau.spark.testing.SparkSessionProvider;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import scala.Function1;
import scala.runtime.BoxedUnit;

/**
 * The Spark session of a test class: one {@code local[2]} session, made and compared with by
 * spark-testing-base ({@link JavaDatasetSuiteBase}: its session and its
 * {@code assertDataFrameEquals} / {@code assertDatasetEquals}), on JUnit 5.
 *
 * <p>The session is created before the class's first test and before the class's own
 * {@code @BeforeAll} methods, and stopped after its last test: the UI and the console progress
 * bar off, no Hive. Tests reach it through {@link #spark()}. A class that needs other settings
 * from the start (static SQL confs, extensions, file splitting) overrides {@link #conf()}:
 *
 * <pre>{@code
 * @Override
 * public SparkConf conf() {
 *   return super.conf().set("spark.sql.files.openCostInBytes", Long.toString(1L << 30));
 * }
 * }</pre>
 *
 * <p>A test that changes a SQL conf does it inside {@link #withSqlConf}, which restores it.
 *
 * <p>One test instance per class ({@code PER_CLASS}): spark-testing-base starts the session from
 * an instance (its {@code conf()} is an instance method), so {@code @BeforeAll} methods may be
 * instance methods too. Its own lifecycle methods carry JUnit 4 annotations, which JUnit 5 does
 * not see; the two methods here drive them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SparkTestBase extends JavaDatasetSuiteBase {

  /** spark-testing-base shows unequal rows with {@code show()}: truncated; here in full. */
  private static final Function1<Dataset<Row>, BoxedUnit> SHOW_IN_FULL = df -> {
    df.show(false);
    return BoxedUnit.UNIT;
  };

  /** spark-testing-base's settings with {@code local[2]}, this class's name, no progress bar. */
  @Override
  public SparkConf conf() {
    return super.conf()
        .setMaster("local[2]")
        .setAppName(getClass().getSimpleName())
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false");
  }

  @Override
  public boolean enableHiveSupport() {
    return false;
  }

  @BeforeAll
  protected final void startSpark() {
    // a session of another class left behind would otherwise be picked up by getOrCreate
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
    runBefore(); // the SparkContext, from conf()
    sqlBeforeAllTestCases(); // the SparkSession on it
  }

  @AfterAll
  protected final void stopSpark() {
    try {
      spark().stop();
    } finally {
      runAfterClass();
      SparkSessionProvider._sparkSession_$eq(null);
    }
  }

  /** Runs {@code body} with the SQL confs {@code conf} set, then restores the previous values. */
  protected final void withSqlConf(Map<String, String> conf, Runnable body) {
    Map<String, String> saved = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : conf.entrySet()) {
      saved.put(e.getKey(), spark().conf().contains(e.getKey())
          ? spark().conf().get(e.getKey()) : null);
      spark().conf().set(e.getKey(), e.getValue());
    }
    try {
      body.run();
    } finally {
      saved.forEach((key, value) -> {
        if (value == null) {
          spark().conf().unset(key);
        } else {
          spark().conf().set(key, value);
        }
      });
    }
  }

  /** {@code withSqlConf} with one key. */
  protected final void withSqlConf(String key, String value, Runnable body) {
    withSqlConf(Map.of(key, value), body);
  }

  /**
   * spark-testing-base's {@code assertDataFrameEquals} (the schemas, then the rows in order),
   * showing unequal rows untruncated.
   */
  public void assertDataFrameEquals(Dataset<Row> expected, Dataset<Row> result) {
    assertDataFrameEquals(expected, result, SHOW_IN_FULL);
  }

  /**
   * {@link #assertDataFrameEquals} bit for bit: the schemas equal, and the rows in order, each
   * float and double (alone or in arrays) compared by its exact text, so NaN equals NaN and
   * -0.0 differs from 0.0 (spark-testing-base compares array elements with {@code ==}: NaN in
   * an array never equals itself, and -0.0 equals 0.0).
   */
  public void assertDataFrameBitsEqual(Dataset<Row> expected, Dataset<Row> result) {
    assertSchemasEqual(expected.schema(), result.schema());
    assertDataFrameEquals(exactText(expected), exactText(result));
  }

  /** {@code df} with every float and double, alone or in arrays, as its shortest exact text. */
  private static Dataset<Row> exactText(Dataset<Row> df) {
    StructField[] fields = df.schema().fields();
    return df.select(Arrays.stream(fields)
        .map(f -> exactText(df.col("`" + f.name().replace("`", "``") + "`"), f.dataType())
            .as(f.name()))
        .toArray(Column[]::new));
  }

  private static Column exactText(Column c, DataType type) {
    if (type.equals(DataTypes.FloatType) || type.equals(DataTypes.DoubleType)) {
      // Float.toString / Double.toString: distinct values give distinct text
      return c.cast(DataTypes.StringType);
    }
    if (type instanceof ArrayType) {
      DataType element = ((ArrayType) type).elementType();
      return transform(c, e -> exactText(e, element));
    }
    return c;
  }
}
