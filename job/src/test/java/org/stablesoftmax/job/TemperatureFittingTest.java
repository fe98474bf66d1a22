package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.run;

import ch.obermuhlner.math.big.BigDecimalMath;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.stats.TemperatureFit;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code --fit-temperature} and {@code --temperature-from}: the fitted T against the minimizer of
 * the mean NLL found here by bisection on its derivative in 30-digit decimals, with and without
 * sample weights; the same fit to the bit with both engines and any partitioning; the figures
 * after fitting equal to those of an evaluation at the fitted T; a fit pinned at the bound of
 * 1/T when every row is right by a margin; the refusals.
 */
class TemperatureFittingTest extends SparkTestBase {

  private static final int ROWS = 400;
  private static final int CLASSES = 6;
  private static final MathContext MC = new MathContext(30);

  @TempDir
  static Path data;
  /** The written rows: id, label, logits (null for a null row), weight. */
  private static final List<Row> WRITTEN = new ArrayList<>();

  private static final StructType SCHEMA = InProcess.WEIGHTED_ROWS;

  @BeforeAll
  void write() {
    // an overconfident model: logits spread wide, the label's on top only 70% of the time
    SplittableRandom rng = new SplittableRandom(41);
    for (long id = 0; id < ROWS; id++) {
      int label = (int) (id % CLASSES);
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = 4 * rng.nextGaussian();
      }
      if (rng.nextDouble() < 0.7) {
        x[label] += 8;
      }
      if (id == 7) {
        x[label] = Double.NEGATIVE_INFINITY; // an infinite loss: left out of the fit
      }
      WRITTEN.add(RowFactory.create(id, label, id == 11 ? null : x, 0.25 + rng.nextDouble()));
    }
    for (int parts : new int[] {1, 3}) {
      spark().createDataFrame(WRITTEN, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("in" + parts).toString());
    }
    // 98 rows of finite loss (ids 7 and 11 have none): too few to fit on
    spark().createDataFrame(WRITTEN.subList(0, 100), SCHEMA).write()
        .parquet(data.resolve("few").toString());
    // every row right by a margin: the NLL falls as 1/T does, without end
    List<Row> separable = new ArrayList<>();
    for (long id = 0; id < 150; id++) {
      int label = (int) (id % CLASSES);
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = i == label ? 3 + rng.nextDouble() : rng.nextDouble();
      }
      separable.add(RowFactory.create(id, label, x, 1.0));
    }
    spark().createDataFrame(separable, SCHEMA).write()
        .parquet(data.resolve("separable").toString());
  }

  /**
   * The derivative in β of the (weighted) NLL sum over the rows of finite loss:
   * Σ s (Σ_i p_i x_i - x_y), p the softmax of β x, in 30-digit decimals.
   */
  private static BigDecimal derivative(BigDecimal beta, boolean weighted) {
    BigDecimal sum = BigDecimal.ZERO;
    for (Row r : WRITTEN) {
      double[] x = finiteRow(r);
      if (x == null) {
        continue;
      }
      BigDecimal max = new BigDecimal(maxOf(x));
      BigDecimal z = BigDecimal.ZERO;
      BigDecimal m = BigDecimal.ZERO;
      for (double v : x) {
        BigDecimal e = BigDecimalMath.exp(beta.multiply(new BigDecimal(v).subtract(max), MC),
            MC);
        z = z.add(e, MC);
        m = m.add(e.multiply(new BigDecimal(v), MC), MC);
      }
      BigDecimal g = m.divide(z, MC).subtract(new BigDecimal(x[r.getInt(1)]), MC);
      sum = sum.add(weighted ? g.multiply(new BigDecimal(r.getDouble(3)), MC) : g, MC);
    }
    return sum;
  }

  /** The mean (weighted) NLL over the rows of finite loss at β, in 30-digit decimals. */
  private static BigDecimal meanNll(BigDecimal beta, boolean weighted) {
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal weight = BigDecimal.ZERO;
    for (Row r : WRITTEN) {
      double[] x = finiteRow(r);
      if (x == null) {
        continue;
      }
      BigDecimal z = BigDecimal.ZERO;
      for (double v : x) {
        z = z.add(BigDecimalMath.exp(beta.multiply(new BigDecimal(v), MC), MC), MC);
      }
      BigDecimal nll = BigDecimalMath.log(z, MC)
          .subtract(beta.multiply(new BigDecimal(x[r.getInt(1)]), MC), MC);
      BigDecimal s = weighted ? new BigDecimal(r.getDouble(3)) : BigDecimal.ONE;
      sum = sum.add(nll.multiply(s, MC), MC);
      weight = weight.add(s);
    }
    return sum.divide(weight, MC);
  }

  /** The row's logits where it has a finite loss, else null. */
  private static double[] finiteRow(Row r) {
    if (r.isNullAt(2)) {
      return null;
    }
    double[] x = (double[]) r.get(2);
    return Double.isFinite(x[r.getInt(1)]) ? x : null;
  }

  private static double maxOf(double[] x) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      m = Math.max(m, v);
    }
    return m;
  }

  /**
   * The β in [1e-3, 1e3] where the derivative changes sign, by bisection in log space to a
   * relative width of 1e-14.
   */
  private static BigDecimal minimizer(boolean weighted) {
    BigDecimal lo = new BigDecimal("0.001");
    BigDecimal hi = new BigDecimal("1000");
    assertThat(derivative(lo, weighted).signum()).isNegative();
    assertThat(derivative(hi, weighted).signum()).isPositive();
    while (hi.subtract(lo).divide(lo, MC).compareTo(new BigDecimal("1e-14")) > 0) {
      BigDecimal mid = hi.divide(lo, MC).compareTo(BigDecimal.valueOf(2)) > 0
          ? BigDecimalMath.sqrt(lo.multiply(hi, MC), MC)
          : lo.add(hi).divide(BigDecimal.valueOf(2), MC);
      if (derivative(mid, weighted).signum() > 0) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return lo;
  }

  @Test
  void theFittedTemperatureMinimizesTheNll(@TempDir Path out) throws IOException {
    for (boolean weighted : new boolean[] {false, true}) {
      String[] opts = weighted
          ? new String[] {"--id-col", "id", "--fit-temperature", "--weight-col", "w"}
          : new String[] {"--id-col", "id", "--fit-temperature"};
      Path dir = out.resolve(weighted ? "weighted" : "plain");
      JsonNode s = evaluate(data.resolve("in3"), dir.resolve("fit"), opts);
      JsonNode t = s.at("/calibration/temperature");
      BigDecimal beta = minimizer(weighted);
      double expected = BigDecimal.ONE.divide(beta, MC).doubleValue();
      assertThat(expected).as("the model is overconfident").isGreaterThan(1.2);
      assertThat(t.get("fitted").doubleValue()).as("weighted %s", weighted)
          .isCloseTo(expected, within(1e-9 * expected));
      assertThat(t.get("converged").booleanValue()).isTrue();
      assertThat(t.get("at_bound").booleanValue()).isFalse();
      assertThat(t.get("iterations").intValue()).isBetween(1, TemperatureFit.MAX_ITERATIONS);
      assertThat(t.get("rows").longValue()).isEqualTo(ROWS - 2);
      // the NLL before is the mean loss (no smoothing, no class weights); after, the minimum
      assertThat(t.get("nll_before").doubleValue()).isEqualTo(s.at("/loss/mean").doubleValue());
      double before = meanNll(BigDecimal.ONE, weighted).doubleValue();
      double after = meanNll(beta, weighted).doubleValue();
      assertThat(t.get("nll_before").doubleValue()).isCloseTo(before, within(1e-14 * before));
      assertThat(t.get("nll_after").doubleValue()).isCloseTo(after, within(1e-14 * after));
      assertThat(after).isLessThan(before);
      assertThat(t.get("ece_before").doubleValue()).isEqualTo(s.at("/metrics/ece").doubleValue());
      assertThat(t.get("brier_before").doubleValue())
          .isEqualTo(s.at("/metrics/brier").doubleValue());
      assertThat(t.get("calibration_after")).hasSize(s.at("/metrics/calibration").size());
      assertEnginesAgree(s, dir, List.of(data.resolve("in1"), data.resolve("in3")), opts);

      // applied: the evaluation at the fitted T gives the figures after, to the bit
      String[] apply = weighted
          ? new String[] {"--id-col", "id", "--weight-col", "w", "--temperature-from",
              dir.resolve("fit/summary.json").toString()}
          : new String[] {"--id-col", "id", "--temperature-from",
              dir.resolve("fit/summary.json").toString()};
      JsonNode a = evaluate(data.resolve("in1"), dir.resolve("apply"), apply);
      assertThat(a.at("/options/temperature").doubleValue())
          .isEqualTo(t.get("fitted").doubleValue());
      assertThat(a.at("/loss/mean").doubleValue()).isEqualTo(t.get("nll_after").doubleValue());
      assertThat(a.at("/metrics/ece").doubleValue()).isEqualTo(t.get("ece_after").doubleValue());
      assertThat(a.at("/metrics/brier").doubleValue())
          .isEqualTo(t.get("brier_after").doubleValue());
      assertThat(a.at("/metrics/calibration").toString())
          .isEqualTo(t.get("calibration_after").toString());
      assertThat(a.at("/metrics/ece").doubleValue()).as("calibrated better")
          .isLessThan(s.at("/metrics/ece").doubleValue());
    }
    // transform takes it too: each row's loss is the kernel's at the fitted T
    Path fit = out.resolve("plain/fit/summary.json");
    double t = LogitsOptions.fittedTemperature(fit.toString());
    InProcess.Run r = run("transform", "--input", data.resolve("in1").toString(), "--output",
        out.resolve("transformed").toString(), "--id-col", "id", "--temperature-from",
        fit.toString());
    assertThat(r.code()).as(r.err()).isZero();
    SoftmaxRow kernel = new SoftmaxRow();
    for (Row row : spark().read().parquet(out.resolve("transformed").toString())
        .where("id < 5").select("id", "loss").collectAsList()) {
      Row written = WRITTEN.get((int) row.getLong(0));
      double[] x = (double[]) written.get(2);
      assertThat(row.getDouble(1)).as("row %s", row.getLong(0))
          .isEqualTo(kernel.analyze(x, 0, CLASSES, t).crossEntropy(written.getInt(1)));
    }
  }

  @Test
  void aFitWhoseNllFallsWithoutEndStopsAtTheBound(@TempDir Path out) throws IOException {
    JsonNode t = evaluate(data.resolve("separable"), out.resolve("s"), "--fit-temperature")
        .at("/calibration/temperature");
    assertThat(t.get("fitted").doubleValue())
        .isCloseTo(1 / TemperatureFit.MAX_BETA, within(1e-9 / TemperatureFit.MAX_BETA));
    assertThat(t.get("at_bound").booleanValue()).isTrue();
    assertThat(t.get("nll_after").doubleValue()).isLessThan(t.get("nll_before").doubleValue());
  }

  @Test
  void refusals(@TempDir Path out) throws IOException {
    // refused after the first pass, which shows its progress line
    InProcess.Run few = run("evaluate", "--input", data.resolve("few").toString(),
        "--fit-temperature", "--output", out.resolve("few").toString());
    assertThat(few.code()).as(few.err()).isEqualTo(2);
    assertThat(few.err().strip().lines().reduce((a, b) -> b).orElseThrow())
        .startsWith("stablesoftmax: --fit-temperature needs at least 100 evaluated rows")
        .contains("has 98");
    assertThat(few.err()).doesNotContain("\tat ");
    assertThat(out.resolve("few")).doesNotExist();
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--fit-temperature", "--temperature", "2"), "--fit-temperature");
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--fit-temperature", "--no-label"), "--fit-temperature");
    Path missing = out.resolve("nowhere/summary.json");
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--temperature-from", missing.toString()), "does not exist", "--temperature-from");
    // a summary without a fit, and a file that is not JSON
    JsonNode plain = evaluate(data.resolve("in1"), out.resolve("plain"));
    assertThat(plain.has("calibration")).isFalse();
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--temperature-from", out.resolve("plain/summary.json").toString()),
        "holds no fitted temperature");
    Path junk = Files.writeString(out.resolve("junk.json"), "{not json");
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--temperature-from", junk.toString()), "is not JSON");
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--temperature-from", out.resolve("plain/summary.json").toString(), "--temperature",
        "2"), "both set the temperature");
    // a fit does not start from a fitted temperature, even one of 1
    Path one = Files.writeString(out.resolve("one.json"),
        "{\"calibration\": {\"temperature\": {\"fitted\": 1.0}}}");
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(),
        "--temperature-from", one.toString(), "--fit-temperature"), "--temperature-from");
  }
}
