package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.results;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * The calibration family over {@code --calibration-bins N}: rows of confidence exactly 1.0 (a
 * saturated softmax) fall in the last bin, a confidence on an edge in the bin it opens, and each
 * bin's Clopper–Pearson interval has the exact binomial tails of its definition.
 */
class CalibrationTest extends SparkTestBase {

  private static final int ROWS = 600;
  private static final int SATURATED = 50;
  private static final int HALF = 40;

  @TempDir
  static Path data;
  private static final List<double[]> LOGITS = new ArrayList<>();
  private static final List<Integer> LABELS = new ArrayList<>();

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(5);
    List<Row> rows = new ArrayList<>();
    for (int id = 0; id < ROWS; id++) {
      double[] x = new double[5];
      for (int i = 0; i < x.length; i++) {
        x[i] = id < SATURATED + HALF ? -1000 : rng.nextGaussian() * (1 + id % 4);
      }
      x[0] = 0;
      if (id >= SATURATED && id < SATURATED + HALF) {
        x[1] = 0; // softmax (1/2, 1/2, 0, 0, 0): a confidence on an edge
      }
      int label = id % 3 == 0 ? 1 : 0;
      LOGITS.add(x);
      LABELS.add(label);
      rows.add(RowFactory.create((long) id, label, x));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType)
        .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false));
    spark().createDataFrame(rows, schema).repartition(3).write()
        .parquet(data.resolve("in").toString());
  }

  @ParameterizedTest(name = "{0} bins")
  @ValueSource(ints = {1, 4, 10, 15})
  void binsHoldTheirEdgesAndTheMetricsAreExact(int bins, @TempDir Path out) throws IOException {
    JsonNode s = evaluate(data.resolve("in"), out.resolve("a"), "--id-col", "id",
        "--calibration-bins", Integer.toString(bins));
    JsonNode u = evaluate(data.resolve("in"), out.resolve("u"), "--id-col", "id",
        "--calibration-bins", Integer.toString(bins), "--engine", "udf");
    assertThat(results(u, "engine")).isEqualTo(results(s, "engine"));

    CalibrationReference exact = new CalibrationReference(bins);
    SoftmaxRow row = new SoftmaxRow();
    for (int i = 0; i < ROWS; i++) {
      double[] x = LOGITS.get(i);
      row.analyze(x, 0, x.length, 1.0);
      double p = row.maxProbability();
      if (i < SATURATED) {
        assertThat(p).as("a saturated row's confidence").isEqualTo(1.0);
      } else if (i < SATURATED + HALF) {
        assertThat(p).as("an edge").isEqualTo(0.5);
      }
      exact.add(p, row.argmax() == LABELS.get(i));
    }
    EvaluateCommandTest.assertCalibration(s, exact, 8 * Math.ulp(1.0));
    assertThat(s.at("/metrics/calibration_bins").asInt()).isEqualTo(bins);
    assertThat(s.at("/options/calibration_bins").asInt()).isEqualTo(bins);
    JsonNode last = s.at("/metrics/calibration/" + (bins - 1));
    assertThat(last.get("to").doubleValue()).isEqualTo(1.0);
    assertThat(last.get("rows").asLong()).isGreaterThanOrEqualTo(SATURATED);
    if (bins % 2 == 0) {
      // 0.5 opens bin bins / 2
      assertThat(s.at("/metrics/calibration/" + bins / 2 + "/from").doubleValue()).isEqualTo(0.5);
      assertThat(exact.rows[bins / 2]).isGreaterThanOrEqualTo(HALF);
    }
    for (JsonNode bin : s.at("/metrics/calibration")) {
      long n = bin.get("rows").asLong();
      if (n == 0) {
        assertThat(bin.get("accuracy_ci").isNull()).isTrue();
        continue;
      }
      long k = Math.round(bin.get("accuracy").doubleValue() * n);
      assertClopperPearson(k, n, bin.get("accuracy_ci").get(0).doubleValue(),
          bin.get("accuracy_ci").get(1).doubleValue());
    }
  }

  /**
   * The 95% Clopper–Pearson interval's defining tails, in exact arithmetic: P(X >= k) = 2.5% at
   * the lower end (0 for k = 0) and P(X <= k) = 2.5% at the upper end (1 for k = n), X binomial.
   */
  static void assertClopperPearson(long k, long n, double low, double high) {
    if (k == 0) {
      assertThat(low).isEqualTo(0.0);
    } else {
      assertThat(binomialTail(n, low, k, n)).as("P(X >= %d | n = %d, p = %s)", k, n, low)
          .isCloseTo(0.025, within(1e-9));
    }
    if (k == n) {
      assertThat(high).isEqualTo(1.0);
    } else {
      assertThat(binomialTail(n, high, 0, k)).as("P(X <= %d | n = %d, p = %s)", k, n, high)
          .isCloseTo(0.025, within(1e-9));
    }
    assertThat(low).isLessThanOrEqualTo((double) k / n);
    assertThat(high).isGreaterThanOrEqualTo((double) k / n);
  }

  /** P(from <= X <= to) for X ~ Binomial(n, p), exactly (40 digits). */
  private static double binomialTail(long n, double p, long from, long to) {
    MathContext mc = new MathContext(40);
    BigDecimal q = new BigDecimal(p);
    BigDecimal r = BigDecimal.ONE.subtract(q);
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal choose = BigDecimal.ONE; // C(n, j)
    for (long j = 0; j <= to; j++) {
      if (j >= from) {
        sum = sum.add(choose.multiply(q.pow((int) j, mc), mc)
            .multiply(r.pow((int) (n - j), mc), mc), mc);
      }
      choose = choose.multiply(BigDecimal.valueOf(n - j)).divide(BigDecimal.valueOf(j + 1), mc);
    }
    return sum.doubleValue();
  }
}
