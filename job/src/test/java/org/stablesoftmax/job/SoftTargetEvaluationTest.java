package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.results;
import static org.stablesoftmax.job.InProcess.run;

import ch.obermuhlner.math.big.BigDecimalMath;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code --target-col}: PyTorch's cross-entropy with probability targets (label smoothing on the
 * target, class weights inside the sum, the mean over rows), against a 40-digit reference
 * computed here; the target's argmax as the label of accuracy; bad targets skipped as incidents;
 * both engines and any partitioning the same to the bit.
 */
class SoftTargetEvaluationTest extends SparkTestBase {

  private static final int ROWS = 800;
  private static final int CLASSES = 5;
  private static final double EPS = 0.1;
  private static final double[] CLASS_WEIGHTS = {1, 2, 0.5, 1, 3};
  private static final String WEIGHTS = "1,2,0.5,1,3";
  private static final MathContext MC = new MathContext(40);

  @TempDir
  static Path data;
  /** id, label (the one-hot targets' class), logits, target (Double[] with nulls), weight. */
  private static final List<Row> WRITTEN = new ArrayList<>();

  private static StructType schema(boolean floats) {
    return new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType)
        .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false))
        .add("t", DataTypes.createArrayType(floats ? DataTypes.FloatType : DataTypes.DoubleType,
            true), true)
        .add("w", DataTypes.DoubleType);
  }

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(23);
    List<Row> oneHot = new ArrayList<>();
    List<Row> floats = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = rng.nextGaussian() * (1 + id % 3);
      }
      double[] g = new double[CLASSES];
      double sum = 0;
      for (int i = 0; i < CLASSES; i++) {
        g[i] = -Math.log(rng.nextDouble()) * (i == id % CLASSES ? 3 : 1);
        sum += g[i];
      }
      Double[] t = new Double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        t[i] = g[i] / sum;
      }
      switch ((int) (id % 29)) {
        case 0 -> t = null;
        case 1 -> t = new Double[] {0.25, 0.25, 0.25, 0.25}; // another length
        case 2 -> t = new Double[] {-0.1, 0.6, 0.5, 0.0, 0.0};
        case 3 -> t[1] = Double.NaN;
        case 4 -> t = new Double[] {0.21, 0.2, 0.2, 0.2, 0.2}; // sums to 1.01
        case 5 -> t[2] = null;
        case 6 -> t = new Double[] {0.2, 0.2, 0.2, 0.2, 0.2 + 5e-7}; // within 1e-6: good
        case 7 -> t = new Double[] {0.0, 0.0, 1.0, 0.0, 0.0};
        default -> { }
      }
      int label = (int) (id % CLASSES);
      double w = rng.nextDouble() * 2;
      WRITTEN.add(RowFactory.create(id, label, x, t, w));
      Double[] hot = new Double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        hot[i] = i == label ? 1.0 : 0.0;
      }
      oneHot.add(RowFactory.create(id, label, x, hot, w));
      Float[] f = null;
      if (t != null) {
        f = new Float[t.length];
        for (int i = 0; i < t.length; i++) {
          f[i] = t[i] == null ? null : (float) (double) t[i];
        }
      }
      floats.add(RowFactory.create(id, label, x, f, w));
    }
    for (int parts : new int[] {1, 3}) {
      spark().createDataFrame(WRITTEN, schema(false)).repartition(parts).write()
          .parquet(data.resolve("in" + parts).toString());
    }
    spark().createDataFrame(oneHot, schema(false)).write()
        .parquet(data.resolve("onehot").toString());
    spark().createDataFrame(floats, schema(true)).repartition(2).write()
        .parquet(data.resolve("floats").toString());
  }

  /** The target of a written row as doubles, null for a null one (a null entry as NaN). */
  private static double[] target(Row r) {
    if (r.isNullAt(3)) {
      return null;
    }
    Object[] t = (Object[]) r.get(3);
    double[] out = new double[t.length];
    for (int i = 0; i < out.length; i++) {
      Object v = t[i];
      out[i] = v == null ? Double.NaN : ((Number) v).doubleValue();
    }
    return out;
  }

  /** Whether a target is good: CLASSES entries, each finite and >= 0, summing to 1 +- 1e-6. */
  private static boolean good(double[] t) {
    if (t == null || t.length != CLASSES) {
      return false;
    }
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : t) {
      if (!(v >= 0 && Double.isFinite(v))) {
        return false;
      }
      sum = sum.add(new BigDecimal(v));
    }
    return sum.subtract(BigDecimal.ONE).abs().compareTo(new BigDecimal("1e-6")) <= 0;
  }

  /**
   * PyTorch's loss of a row with probability target {@code t}, to 40 digits: Σ_i w_i t'_i
   * (lse(x) - x_i), t' = (1 - ε) t + ε / C.
   */
  private static BigDecimal reference(double[] x, double[] t, double eps, double[] w) {
    BigDecimal sumExp = BigDecimal.ZERO;
    for (double v : x) {
      sumExp = sumExp.add(BigDecimalMath.exp(new BigDecimal(v), MC), MC);
    }
    BigDecimal lse = BigDecimalMath.log(sumExp, MC);
    BigDecimal e = new BigDecimal(eps);
    BigDecimal uniform = e.divide(BigDecimal.valueOf(x.length), MC);
    BigDecimal loss = BigDecimal.ZERO;
    for (int i = 0; i < x.length; i++) {
      BigDecimal smoothed = BigDecimal.ONE.subtract(e).multiply(new BigDecimal(t[i]))
          .add(uniform, MC);
      BigDecimal wi = w == null ? BigDecimal.ONE : new BigDecimal(w[i]);
      loss = loss.add(wi.multiply(smoothed).multiply(lse.subtract(new BigDecimal(x[i]))), MC);
    }
    return loss;
  }

  private static int argmax(double[] t) {
    int k = 0;
    for (int i = 1; i < t.length; i++) {
      k = t[i] > t[k] ? i : k;
    }
    return k;
  }

  @Test
  void theLossIsPyTorchsWithProbabilityTargets(@TempDir Path out) throws IOException {
    String[] opts = {"--id-col", "id", "--target-col", "t", "--label-smoothing",
        Double.toString(EPS), "--class-weights", WEIGHTS};
    JsonNode s = evaluate(data.resolve("in3"), out.resolve("a3"), opts);
    assertEnginesAgree(s, out, List.of(data.resolve("in1"), data.resolve("in3")), opts);
    CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(EPS)
        .classWeights(CLASS_WEIGHTS);
    BigDecimal exact = BigDecimal.ZERO;
    BigDecimal kernel = BigDecimal.ZERO;
    long evaluated = 0;
    long correct = 0;
    long bad = 0;
    long mismatch = 0;
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : WRITTEN) {
      double[] t = target(r);
      if (t != null && t.length != CLASSES) {
        mismatch++;
        continue;
      }
      if (!good(t)) {
        bad++;
        continue;
      }
      double[] x = (double[]) r.get(2);
      exact = exact.add(reference(x, t, EPS, CLASS_WEIGHTS));
      kernel = kernel.add(new BigDecimal(StableSoftmax.softCrossEntropy(x, t, 1.0, o)));
      row.analyze(x, 0, x.length, 1.0);
      correct += row.argmax() == argmax(t) ? 1 : 0;
      evaluated++;
    }
    assertThat(s.at("/rows/evaluated").asLong()).isEqualTo(evaluated);
    assertThat(s.at("/rows/skipped_by_reason/bad_target").asLong()).isEqualTo(bad).isPositive();
    assertThat(s.at("/rows/skipped_by_reason/class_count_mismatch").asLong())
        .isEqualTo(mismatch).isPositive();
    assertThat(s.at("/incidents/counts/BAD_TARGET").asLong()).isEqualTo(bad);
    assertThat(s.at("/incidents/examples/BAD_TARGET").get(0).asLong()).isEqualTo(0);
    // the kernel's per-row values summed exactly, and the mean over rows (not over Σ w)
    assertThat(s.at("/loss/sum").doubleValue()).isEqualTo(kernel.doubleValue());
    double mean = exact.divide(BigDecimal.valueOf(evaluated), MC).doubleValue();
    assertThat(s.at("/loss/mean").doubleValue()).isCloseTo(mean, within(1e-14 * mean));
    assertThat(s.at("/metrics/accuracy").doubleValue()).isEqualTo((double) correct / evaluated);
    assertThat(s.at("/options/target_col").asText()).isEqualTo("t");
    assertThat(s.at("/options/label_col").isNull()).isTrue();
  }

  @Test
  void sampleWeightsAndFloatTargets(@TempDir Path out) throws IOException {
    JsonNode s = evaluate(data.resolve("in1"), out.resolve("w"), "--id-col", "id",
        "--target-col", "t", "--weight-col", "w");
    JsonNode u = evaluate(data.resolve("in3"), out.resolve("wu"), "--id-col", "id",
        "--target-col", "t", "--weight-col", "w", "--engine", "udf");
    assertThat(results(u, "engine")).isEqualTo(results(s, "engine"));
    BigDecimal num = BigDecimal.ZERO;
    BigDecimal den = BigDecimal.ZERO;
    for (Row r : WRITTEN) {
      double[] t = target(r);
      if (good(t)) {
        BigDecimal sw = new BigDecimal(r.getDouble(4));
        num = num.add(sw.multiply(reference((double[]) r.get(2), t, 0, null)));
        den = den.add(sw);
      }
    }
    double mean = num.divide(den, MC).doubleValue();
    assertThat(s.at("/loss/mean").doubleValue()).isCloseTo(mean, within(1e-14 * mean));

    JsonNode f = evaluate(data.resolve("floats"), out.resolve("f"), "--target-col", "t");
    JsonNode fu = evaluate(data.resolve("floats"), out.resolve("fu"), "--target-col", "t",
        "--engine", "udf");
    assertThat(results(fu, "engine")).isEqualTo(results(f, "engine"));
    BigDecimal sum = BigDecimal.ZERO;
    long n = 0;
    for (Row r : WRITTEN) {
      double[] t = target(r);
      if (t == null) {
        continue;
      }
      for (int i = 0; i < t.length; i++) {
        t[i] = (float) t[i]; // as the float file holds it
      }
      if (good(t)) {
        sum = sum.add(reference((double[]) r.get(2), t, 0, null));
        n++;
      }
    }
    assertThat(f.at("/rows/evaluated").asLong()).isEqualTo(n);
    double fmean = sum.divide(BigDecimal.valueOf(n), MC).doubleValue();
    assertThat(f.at("/loss/mean").doubleValue()).isCloseTo(fmean, within(1e-14 * fmean));
  }

  @Test
  void oneHotTargetsAreTheLabels(@TempDir Path out) throws IOException {
    // PyTorch: a one-hot probability target gives the class-index loss, smoothed or not
    JsonNode soft = evaluate(data.resolve("onehot"), out.resolve("s"), "--target-col", "t",
        "--label-smoothing", Double.toString(EPS));
    JsonNode hard = evaluate(data.resolve("onehot"), out.resolve("h"), "--label-smoothing",
        Double.toString(EPS));
    double mean = hard.at("/loss/mean").doubleValue();
    assertThat(soft.at("/loss/mean").doubleValue()).isCloseTo(mean, within(1e-14 * mean));
    for (String f : new String[] {"/metrics/accuracy", "/metrics/top_k_accuracy",
        "/metrics/ece", "/metrics/adaptive_ece", "/rows/evaluated"}) {
      assertThat(soft.at(f).doubleValue()).as(f).isEqualTo(hard.at(f).doubleValue());
    }
    assertThat(soft.at("/metrics/brier").doubleValue()).isCloseTo(
        hard.at("/metrics/brier").doubleValue(), within(1e-15));
  }

  @Test
  void badTargetOptionsAreOneSentence() {
    String in = data.resolve("in1").toString();
    assertBadInput(run("evaluate", "--input", in, "--target-col", "nope"), "nope",
        "--target-col");
    assertBadInput(run("evaluate", "--input", in, "--target-col", "w"), "'w'", "array<float>");
    assertBadInput(run("evaluate", "--input", in, "--target-col", "t", "--no-label"),
        "--no-label");
    assertBadInput(run("evaluate", "--input", in, "--target-col", "t", "--ignore-index", "0"),
        "--ignore-index");
  }
}
