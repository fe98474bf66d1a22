package org.stablesoftmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * The SQL functions against the kernel called directly, bit for bit: on float and double arrays,
 * read through Parquet's vectorized reader (ColumnarArray), its row reader (UnsafeArrayData) and
 * in-memory rows, with generated code and interpreted; nulls, empty arrays, NaN, infinities,
 * temperatures; the DataFrame API; argument errors at analysis.
 */
class SqlFunctionsTest extends SparkTestBase {

  @TempDir
  static Path tmp;

  private static final List<SqlCase> CASES = SqlCase.all();
  private static Path parquet;

  private static final String FUNCTIONS = "softmax(%1$s, t) AS sm, log_softmax(%1$s, t) AS lsm,"
      + " logsumexp(%1$s, t) AS lse, cross_entropy(%1$s, label, t) AS ce,"
      + " soft_cross_entropy(%1$s, target, t) AS sce, softmax_entropy(%1$s, t) AS ent,"
      + " argmax(%1$s) AS am, top_k(%1$s, 3) AS tk, softmax_incidents(%1$s, label) AS inc,"
      + " softmax_incidents(%1$s, label, 'float16') AS inc16, max_probability(%1$s, t) AS mp";

  @BeforeAll
  void registerAndWriteCases() {
    StableSoftmaxFunctions.register(spark());
    parquet = tmp.resolve("cases.parquet");
    cases().repartition(3).write().parquet(parquet.toString());
  }

  private Dataset<Row> cases() {
    List<Row> rows = new ArrayList<>();
    for (SqlCase c : CASES) {
      rows.add(c.toRow());
    }
    return spark().createDataFrame(rows, SqlCase.SCHEMA);
  }

  // ------------------------------------------------------------------ equality with the kernel

  @Test
  void everyFunctionEqualsTheKernelThroughTheVectorizedParquetReaderWithCodegen() {
    checkAll(true, true, false);
  }

  @Test
  void everyFunctionEqualsTheKernelThroughTheVectorizedParquetReaderInterpreted() {
    checkAll(true, false, false);
  }

  @Test
  void everyFunctionEqualsTheKernelThroughTheParquetRowReaderWithCodegen() {
    checkAll(false, true, false);
  }

  @Test
  void everyFunctionEqualsTheKernelThroughTheParquetRowReaderInterpreted() {
    checkAll(false, false, false);
  }

  @Test
  void everyFunctionEqualsTheKernelOnInMemoryRowsWithCodegen() {
    checkAll(false, true, true);
  }

  @Test
  void everyFunctionEqualsTheKernelOnInMemoryRowsInterpreted() {
    checkAll(false, false, true);
  }

  private void checkAll(boolean vectorized, boolean codegen, boolean inMemory) {
    Map<String, String> conf = codegenConf(codegen);
    conf.put("spark.sql.parquet.enableVectorizedReader", String.valueOf(vectorized));
    conf.put("spark.sql.parquet.enableNestedColumnVectorizedReader", String.valueOf(vectorized));
    // in-memory rows: interpreted, the optimizer evaluates the projection itself over the
    // GenericArrayData of the local relation; with codegen, that rule is off
    conf.put("spark.sql.optimizer.excludedRules", codegen
        ? "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation" : "");
    withSqlConf(conf, () -> {
      Dataset<Row> input = inMemory ? cases() : spark().read().parquet(parquet.toString());
      input.createOrReplaceTempView("cases");
      for (boolean isFloat : new boolean[] {false, true}) {
        Dataset<Row> result = spark().sql(
            "SELECT id, " + String.format(FUNCTIONS, isFloat ? "xf" : "xd") + " FROM cases");
        String plan = result.queryExecution().executedPlan().toString();
        assertThat(plan).as("whole-stage codegen in the plan").matches(
            codegen ? "(?s).*\\*\\(\\d+\\).*" : "(?s)[^*]*");
        check(result.collectAsList(), isFloat);
      }
    });
  }

  /** Generated code only (whole-stage and expressions), or interpreted only. */
  private static Map<String, String> codegenConf(boolean codegen) {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.sql.codegen.wholeStage", String.valueOf(codegen));
    conf.put("spark.sql.codegen.factoryMode", codegen ? "CODEGEN_ONLY" : "NO_CODEGEN");
    // a compile error in our generated code must fail, not fall back to interpretation
    conf.put("spark.sql.codegen.fallback", "false");
    return conf;
  }

  private static void check(List<Row> rows, boolean isFloat) {
    assertThat(rows).hasSize(CASES.size());
    for (Row r : rows) {
      SqlCase c = CASES.get((int) r.getLong(0));
      String what = c + (isFloat ? " float: " : " double: ");
      Bits.assertArray(what + "softmax", r, 1, c.softmax(isFloat, false));
      Bits.assertArray(what + "log_softmax", r, 2, c.softmax(isFloat, true));
      Bits.assertDouble(what + "logsumexp", r, 3, c.logSumExp(isFloat));
      Bits.assertDouble(what + "cross_entropy", r, 4, c.crossEntropy(isFloat));
      Bits.assertDouble(what + "soft_cross_entropy", r, 5, c.softCrossEntropy(isFloat));
      Bits.assertDouble(what + "softmax_entropy", r, 6, c.entropy(isFloat));
      assertThat(r.isNullAt(7) ? null : r.getInt(7)).as(what + "argmax")
          .isEqualTo(c.argmax(isFloat));
      Bits.assertArray(what + "top_k", r, 8, c.topK(isFloat, 3));
      assertThat(r.<String>getList(9)).as(what + "softmax_incidents")
          .isEqualTo(c.incidents(isFloat, NaiveDtype.FLOAT32));
      assertThat(r.<String>getList(10)).as(what + "softmax_incidents float16")
          .isEqualTo(c.incidents(isFloat, NaiveDtype.FLOAT16));
      Bits.assertDouble(what + "max_probability", r, 11, c.maxProbability(isFloat));
    }
  }

  // ------------------------------------------------------------------ semantics spelled out

  @Test
  void theSeedExamplesAreStableWhereTheNaiveFormulaBreaks() {
    Row r = spark().sql("SELECT"
        + " softmax(array(1000D, 1001D, 1002D)),"
        + " softmax_incidents(array(1000D, 1001D, 1002D), 0),"
        + " cross_entropy(array(-1000D, -1001D, -1002D), 2),"
        + " softmax_incidents(array(-1000D, -1001D, -1002D), 2),"
        + " logsumexp(array(10D, 2D, 10000D, 4D)),"
        + " softmax_incidents(array(10D, 2D, 10000D, 4D), 0)").first();
    List<Double> p = r.getList(0);
    double[] shifted = StableSoftmax.softmax(new double[] {0, 1, 2});
    assertThat(p).as("softmax of [1000, 1001, 1002] = softmax of [0, 1, 2]")
        .containsExactly(shifted[0], shifted[1], shifted[2]);
    assertThat(p.get(0) + p.get(1) + p.get(2)).isCloseTo(1.0, within(0x1p-52));
    assertThat(r.<String>getList(1)).containsExactly("NAIVE_OVERFLOW");
    assertThat(r.getDouble(2)).as("-log p_2 for [-1000, -1001, -1002]")
        .isEqualTo(2.40760596444438);
    assertThat(r.<String>getList(3)).containsExactly("NAIVE_UNDERFLOW");
    assertThat(r.getDouble(4)).isEqualTo(10000.0);
    assertThat(r.<String>getList(5)).containsExactly("NAIVE_OVERFLOW", "SATURATED");
  }

  @Test
  void aLoneUnmaskedClassIsNotSaturatedButTwoClassesCanBe() {
    // float32 keeps 24 bits: 1 / (1 + e^-20) rounds to 1, 1 / (1 + e^-10) does not
    Row r = spark().sql("SELECT softmax_incidents(array(5D), 0),"
        + " softmax_incidents(array(1000F), 0),"
        + " softmax_incidents(array(CAST('-Infinity' AS DOUBLE), 3D, CAST('-Infinity' AS DOUBLE)),"
        + " 1),"
        + " softmax_incidents(array(20D, 0D), 0), softmax_incidents(array(10D, 0D), 0),"
        + " softmax_incidents(array(20D, 0D, CAST('-Infinity' AS DOUBLE)), 0, 'float64')")
        .first();
    assertThat(r.<String>getList(0)).as("one class").isEmpty();
    assertThat(r.<String>getList(1)).as("one class, exp(1000) overflows in float32")
        .containsExactly("NAIVE_OVERFLOW");
    assertThat(r.<String>getList(2)).as("one class not masked").isEmpty();
    assertThat(r.<String>getList(3)).as("[20, 0] in float32").containsExactly("SATURATED");
    assertThat(r.<String>getList(4)).as("[10, 0] in float32").isEmpty();
    assertThat(r.<String>getList(5)).as("[20, 0, -inf] in float64").isEmpty();
  }

  @Test
  void nullsEmptyArraysAndNonFiniteRowsFollowTheDesignTable() {
    Row r = spark().sql("SELECT"
        + " softmax(CAST(NULL AS ARRAY<DOUBLE>)), logsumexp(CAST(NULL AS ARRAY<FLOAT>)),"
        + " softmax(CAST(array() AS ARRAY<DOUBLE>)), logsumexp(CAST(array() AS ARRAY<DOUBLE>)),"
        + " cross_entropy(CAST(array() AS ARRAY<DOUBLE>), 0),"
        + " softmax(array(1D, CAST('NaN' AS DOUBLE))), logsumexp(array(1D, CAST('Infinity' AS"
        + " DOUBLE))), softmax(array(CAST('-Infinity' AS DOUBLE), 0D)),"
        + " logsumexp(array(CAST('-Infinity' AS DOUBLE), CAST('-Infinity' AS DOUBLE))),"
        + " cross_entropy(array(CAST('-Infinity' AS DOUBLE), 0D), 0),"
        + " softmax(array(1D, NULL)), softmax_incidents(array(1D, NULL), 0),"
        + " softmax_incidents(NULL, NULL), cross_entropy(array(1D, 2D), NULL),"
        + " argmax(CAST(array() AS ARRAY<DOUBLE>))").first();
    assertThat(r.isNullAt(0)).as("softmax(null)").isTrue();
    assertThat(r.isNullAt(1)).as("logsumexp(null)").isTrue();
    assertThat(r.getList(2)).as("softmax(empty)").isEmpty();
    assertThat(r.getDouble(3)).as("logsumexp(empty)").isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(r.getDouble(4)).as("cross_entropy(empty)").isNaN();
    assertThat(r.<Double>getList(5)).as("softmax with NaN").allMatch(v -> v.isNaN());
    assertThat(r.getDouble(6)).as("logsumexp with +inf, no NaN")
        .isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(r.<Double>getList(7)).as("softmax with a masked class").containsExactly(0.0, 1.0);
    assertThat(r.getDouble(8)).as("logsumexp(all -inf)").isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(r.getDouble(9)).as("cross_entropy, label masked")
        .isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(r.<Double>getList(10)).as("softmax with a null element").allMatch(v -> v.isNaN());
    assertThat(r.<String>getList(11)).containsExactly("NULL_ELEMENT");
    assertThat(r.<String>getList(12)).containsExactly("NULL_LOGITS", "NULL_LABEL");
    assertThat(r.isNullAt(13)).as("cross_entropy with a null label").isTrue();
    assertThat(r.isNullAt(14)).as("argmax(empty)").isTrue();
  }

  @Test
  void arrayElementTypesFollowTheInputAndOtherNumbersAreRead() {
    Dataset<Row> df = spark().sql("SELECT softmax(array(1F, 2F)) AS f, softmax(array(1D, 2D)) AS d,"
        + " softmax(array(1, 2)) AS i, softmax(array(1.0, 2.0)) AS dec,"
        + " cross_entropy(array(1, 2), CAST(1 AS TINYINT)) AS ce, softmax(array(1, 2), 2) AS t");
    assertThat(df.schema().apply("f").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(df.schema().apply("d").dataType().simpleString()).isEqualTo("array<double>");
    assertThat(df.schema().apply("i").dataType().simpleString()).isEqualTo("array<double>");
    Row r = df.first();
    assertThat(r.getList(2)).isEqualTo(r.getList(1)).isEqualTo(r.getList(3));
    assertThat(r.getDouble(4)).isEqualTo(
        StableSoftmax.crossEntropy(new double[] {1, 2}, 1));
    assertThat(r.<Double>getList(5)).containsExactly(
        StableSoftmax.softmax(new double[] {1, 2}, 2.0)[0],
        StableSoftmax.softmax(new double[] {1, 2}, 2.0)[1]);
  }

  @Test
  void theLiteralEmptyArrayIsAnEmptyArrayOfDoubles() {
    String[] calls = {"softmax(%1$s)", "log_softmax(%1$s)", "logsumexp(%1$s)",
        "cross_entropy(%1$s, 0)", "soft_cross_entropy(%1$s, %1$s)", "softmax_entropy(%1$s)",
        "max_probability(%1$s)", "argmax(%1$s)", "top_k(%1$s, 2)", "softmax_incidents(%1$s, 0)",
        "softmax(%1$s, 2.0)", "soft_cross_entropy(array(1D), %1$s)"};
    for (boolean codegen : new boolean[] {true, false}) {
      withSqlConf(codegenConf(codegen), () -> {
        Dataset<Row> literal = select(calls, "array()");
        Dataset<Row> typed = select(calls, "CAST(array() AS ARRAY<DOUBLE>)");
        String what = (codegen ? "codegen: " : "interpreted: ");
        assertThat(literal.schema().apply(0).dataType().simpleString()).as(what + "softmax type")
            .isEqualTo("array<double>");
        for (int i = 0; i < calls.length; i++) {
          assertThat(literal.schema().apply(i).dataType()).as(what + calls[i])
              .isEqualTo(typed.schema().apply(i).dataType());
        }
        // the same types, nullability and bits, column by column (the names spell the argument)
        String[] names = new String[calls.length];
        Arrays.setAll(names, i -> "c" + i);
        assertDataFrameBitsEqual(typed.toDF(names), literal.toDF(names));
        Row r = literal.first();
        assertThat(Bits.of(r)).as(what + "array() against an empty array<double>")
            .isEqualTo(Bits.of(typed.first()));
        // the design table's empty row
        assertThat(r.getList(0)).as(what + "softmax").isEmpty();
        assertThat(r.getList(1)).as(what + "log_softmax").isEmpty();
        assertThat(r.getDouble(2)).as(what + "logsumexp").isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(r.getDouble(3)).as(what + "cross_entropy").isNaN();
        assertThat(r.isNullAt(7)).as(what + "argmax").isTrue();
        assertThat(r.getList(8)).as(what + "top_k").isEmpty();
        assertThat(r.<String>getList(9)).as(what + "incidents").containsExactly("EMPTY_LOGITS");
        assertThat(r.isNullAt(11)).as(what + "soft_cross_entropy, sizes differ").isTrue();
      });
    }
    // array(NULL) is array<void> too: one null element, read as NaN
    Row r = spark().sql("SELECT softmax(array(NULL)), softmax_incidents(array(NULL), 0),"
        + " softmax(array(CAST(NULL AS DOUBLE))) FROM range(1)").first();
    assertThat(r.<Double>getList(0)).hasSize(1).allMatch(v -> v.isNaN());
    assertThat(r.<String>getList(1)).containsExactly("NULL_ELEMENT");
    assertThat(Bits.of(r).get(0)).isEqualTo(Bits.of(r).get(2));
  }

  private Dataset<Row> select(String[] calls, String logits) {
    List<String> columns = new ArrayList<>();
    for (String call : calls) {
      columns.add(String.format(call, logits));
    }
    return spark().sql("SELECT " + String.join(", ", columns) + " FROM range(1)");
  }

  @Test
  void everyNumericElementTypeIsReadAsDoubleAndTheErrorListsExactlyThose() {
    double[] x = {1, 3};
    long lse = Double.doubleToLongBits(StableSoftmax.logSumExp(x));
    long ce = Double.doubleToLongBits(StableSoftmax.crossEntropy(x, 0));
    for (String type : new String[] {"TINYINT", "SMALLINT", "INT", "BIGINT", "DECIMAL(10, 3)",
        "FLOAT", "DOUBLE"}) {
      String logits = String.format("array(CAST(1 AS %1$s), CAST(3 AS %1$s))", type);
      Row r = spark().sql("SELECT logsumexp(" + logits + "), cross_entropy(" + logits + ", 0),"
          + " soft_cross_entropy(array(1D, 3D), " + logits + ")").first();
      assertThat(Double.doubleToLongBits(r.getDouble(0))).as("logsumexp of " + type)
          .isEqualTo(lse);
      assertThat(Double.doubleToLongBits(r.getDouble(1))).as("cross_entropy of " + type)
          .isEqualTo(ce);
      assertThat(r.isNullAt(2)).as("soft_cross_entropy with a target of " + type).isFalse();
    }
    String required = "requires the \"ARRAY<TINYINT>\", \"ARRAY<SMALLINT>\", \"ARRAY<INT>\","
        + " \"ARRAY<BIGINT>\", \"ARRAY<DECIMAL>\", \"ARRAY<FLOAT>\", \"ARRAY<DOUBLE>\" or"
        + " \"ARRAY<VOID>\" type";
    assertThatThrownBy(() -> spark().sql("SELECT softmax(array('a', 'b'))"))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining("Parameter 1 " + required
            + ", however \"array(a, b)\" has the type \"ARRAY<STRING>\".");
    for (String bad : new String[] {"array(true)", "array(X'01')", "array(DATE'2024-01-01')",
        "array(TIMESTAMP'2024-01-01 00:00:00')", "array(INTERVAL 1 DAY)", "array(array(1D))",
        "array(named_struct('a', 1D))"}) {
      for (String query : new String[] {"SELECT argmax(" + bad + ")",
          "SELECT soft_cross_entropy(array(1D), " + bad + ")"}) {
        assertThatThrownBy(() -> spark().sql(query)).as(query)
            .isInstanceOf(AnalysisException.class).hasMessageContaining(required);
      }
    }
  }

  // ------------------------------------------------------------------ the DataFrame API

  @Test
  void theDataFrameApiGivesTheSameBitsAsSql() {
    Dataset<Row> input = spark().read().parquet(parquet.toString());
    input.createOrReplaceTempView("cases");
    Dataset<Row> sql = spark().sql("SELECT id, cross_entropy(xf, label, t), softmax(xd),"
        + " softmax_incidents(xd, label, 'bfloat16'), top_k(xf, 2) FROM cases ORDER BY id");
    Dataset<Row> called = input.select(col("id"),
        call_function("cross_entropy", col("xf"), col("label"), col("t")),
        call_function("softmax", col("xd")),
        call_function("softmax_incidents", col("xd"), col("label"),
            org.apache.spark.sql.functions.lit("bfloat16")),
        call_function("top_k", col("xf"), org.apache.spark.sql.functions.lit(2))).orderBy("id");
    Dataset<Row> typed = input.select(col("id"),
        StableSoftmaxFunctions.crossEntropy(col("xf"), col("label"), col("t")),
        StableSoftmaxFunctions.softmax(col("xd")),
        StableSoftmaxFunctions.softmaxIncidents(col("xd"), col("label"), "bfloat16"),
        StableSoftmaxFunctions.topK(col("xf"), 2)).orderBy("id");
    List<Row> sqlRows = sql.collectAsList();
    for (Dataset<Row> other : List.of(called, typed)) {
      // the same schema (names, types, nullability) and the same rows, bit for bit
      assertDataFrameBitsEqual(sql, other);
      List<Row> otherRows = other.collectAsList();
      assertThat(otherRows).hasSameSizeAs(sqlRows);
      for (int i = 0; i < sqlRows.size(); i++) {
        assertThat(Bits.of(otherRows.get(i))).as("row " + i).isEqualTo(Bits.of(sqlRows.get(i)));
      }
    }
  }

  @Test
  void staticColumnsNeedNoRegistration() {
    SparkSession fresh = spark().newSession();
    Column p = StableSoftmaxFunctions.softmax(
        org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.lit(0.0),
            org.apache.spark.sql.functions.lit(0.0)));
    Row r = fresh.range(1).select(p, StableSoftmaxFunctions.argmax(
        org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.lit(0.0f)))).first();
    assertThat(r.<Double>getList(0)).containsExactly(0.5, 0.5);
    assertThat(r.getInt(1)).isZero();
    assertThatThrownBy(() -> fresh.sql("SELECT softmax(array(1D))"))
        .as("a new session without registration does not know the names")
        .isInstanceOf(AnalysisException.class).hasMessageContaining("softmax");
  }

  // ------------------------------------------------------------------ argument errors

  @Test
  void wrongArgumentTypesFailAtAnalysisNamingTheFunctionAndTheType() {
    Map<String, String[]> bad = new LinkedHashMap<>();
    bad.put("SELECT softmax('abc')", new String[] {"softmax(abc)", "\"STRING\""});
    bad.put("SELECT log_softmax(array('a', 'b'))",
        new String[] {"log_softmax(array(a, b))", "\"ARRAY<STRING>\""});
    bad.put("SELECT cross_entropy(array(1D, 2D), 'one')",
        new String[] {"cross_entropy(array(1.0, 2.0), one)", "\"STRING\""});
    bad.put("SELECT cross_entropy(array(1D, 2D), 1.5D)",
        new String[] {"cross_entropy(array(1.0, 2.0), 1.5)", "\"DOUBLE\""});
    bad.put("SELECT logsumexp(array(1D), 'hot')",
        new String[] {"logsumexp(array(1.0), hot)", "\"STRING\""});
    bad.put("SELECT soft_cross_entropy(array(1D), 1D)",
        new String[] {"soft_cross_entropy(array(1.0), 1.0)", "\"DOUBLE\""});
    bad.put("SELECT top_k(array(1D), 'two')", new String[] {"top_k(array(1.0), two)", "\"STRING\""});
    bad.put("SELECT argmax(map(1, 2))", new String[] {"argmax(map(1, 2))", "\"MAP<INT, INT>\""});
    bad.put("SELECT softmax_entropy(42)", new String[] {"softmax_entropy(42)", "\"INT\""});
    bad.put("SELECT softmax_incidents(array(1D), 0, 'float8')",
        new String[] {"softmax_incidents(array(1.0), 0, float8)", "float8"});
    bad.put("SELECT softmax_incidents(array(1D), 0, 7)",
        new String[] {"softmax_incidents(array(1.0), 0, 7)", "\"INT\""});
    bad.put("SELECT softmax_incidents(array(1D), 0, CAST(id AS STRING)) FROM range(1)",
        new String[] {"softmax_incidents", "foldable"});
    bad.put("SELECT softmax()", new String[] {"softmax takes 1 or 2 arguments", "given 0"});
    bad.put("SELECT cross_entropy(array(1D))",
        new String[] {"cross_entropy takes 2 or 3 arguments", "given 1"});
    bad.put("SELECT argmax(array(1D), 2)", new String[] {"argmax takes 1 argument", "given 2"});
    for (Map.Entry<String, String[]> e : bad.entrySet()) {
      // spark.sql analyzes eagerly: the error comes before any job runs
      assertThatThrownBy(() -> spark().sql(e.getKey())).as(e.getKey())
          .isInstanceOf(AnalysisException.class)
          .hasMessageContaining(e.getValue()[0]).hasMessageContaining(e.getValue()[1]);
    }
  }
}
