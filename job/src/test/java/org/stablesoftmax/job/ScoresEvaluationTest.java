package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.assertBadInput;
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
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code --scores probabilities} and {@code log_probabilities}: the loss of each row is
 * {@code -log(p_y / Σ p)}, as scikit-learn's {@code log_loss} (up to 1.4, which renormalized),
 * against big-math; rows off 1 by more than 1e-6 are {@code NOT_NORMALIZED}; a zero on the label
 * is an infinite loss; both engines agree.
 */
class ScoresEvaluationTest extends SparkTestBase {

  private static final MathContext MC = new MathContext(40);
  private static final int ROWS = 700;

  @TempDir
  static Path data;
  private static final List<double[]> PROBS = new ArrayList<>();
  private static final List<Integer> LABELS = new ArrayList<>();

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(4);
    List<Row> p = new ArrayList<>();
    List<Row> logs = new ArrayList<>();
    for (int id = 0; id < ROWS; id++) {
      double[] x = new double[5];
      double sum = 0;
      for (int i = 0; i < x.length; i++) {
        x[i] = Math.exp(rng.nextGaussian() * 3);
        sum += x[i];
      }
      // most rows normalized, some scaled off 1, some with a zero
      double scale = id % 10 == 1 ? 1.01 : id % 10 == 2 ? 1 + 1e-8 : 1.0;
      for (int i = 0; i < x.length; i++) {
        x[i] = x[i] / sum * scale;
      }
      int label = rng.nextInt(x.length);
      if (id % 50 == 7) {
        x[label] = 0.0;
      }
      double[] l = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        l[i] = Math.log(x[i]);
      }
      PROBS.add(x);
      LABELS.add(label);
      p.add(RowFactory.create((long) id, label, x));
      logs.add(RowFactory.create((long) id, label, l));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("label", DataTypes.IntegerType)
        .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false));
    spark().createDataFrame(p, schema).repartition(3).write()
        .parquet(data.resolve("p").toString());
    spark().createDataFrame(logs, schema).repartition(2).write()
        .parquet(data.resolve("logp").toString());
  }

  @Test
  void theLossIsThatOfTheRenormalizedProbabilities(@TempDir Path out) throws IOException {
    JsonNode a = evaluate(data.resolve("p"), out.resolve("a"), "--id-col", "id", "--scores",
        "probabilities");
    JsonNode u = evaluate(data.resolve("p"), out.resolve("u"), "--id-col", "id", "--scores",
        "probabilities", "--engine", "udf");
    assertThat(results(u, "engine")).isEqualTo(results(a, "engine"));
    BigDecimal sum = BigDecimal.ZERO;
    long finite = 0;
    long notNormalized = 0;
    for (int r = 0; r < ROWS; r++) {
      double[] x = PROBS.get(r);
      BigDecimal total = BigDecimal.ZERO;
      for (double v : x) {
        total = total.add(new BigDecimal(v));
      }
      if (total.subtract(BigDecimal.ONE).abs().compareTo(new BigDecimal("1e-6")) > 0) {
        notNormalized++;
      }
      double py = x[LABELS.get(r)];
      if (py > 0) {
        sum = sum.add(BigDecimalMath.log(total.divide(new BigDecimal(py), MC), MC));
        finite++;
      }
    }
    double exact = sum.divide(BigDecimal.valueOf(finite), MC).doubleValue();
    // each row's loss within a few ulps of its own size: the mean within a few ulps of the
    // largest loss (below 100 here)
    assertThat(a.at("/loss/mean").doubleValue()).isCloseTo(exact, within(64 * Math.ulp(100.0)));
    assertThat(a.at("/loss/finite").asLong()).isEqualTo(finite);
    assertThat(a.at("/loss/non_finite").asLong()).isEqualTo(ROWS - finite).isPositive();
    assertThat(a.at("/incidents/counts/TARGET_MASKED").asLong()).isEqualTo(ROWS - finite);
    // the rows scaled by 1.01, and those whose label's probability was set to 0
    assertThat(a.at("/incidents/counts/NOT_NORMALIZED").asLong()).isEqualTo(notNormalized)
        .isEqualTo(ROWS / 10 + ROWS / 50);
    assertThat(a.at("/incidents/examples/NOT_NORMALIZED").get(0).asLong()).isEqualTo(1);
    assertThat(a.at("/options/scores").asText()).isEqualTo("probabilities");

    // the same rows as log-probabilities: the same rows flagged; as logits, none
    JsonNode logp = evaluate(data.resolve("logp"), out.resolve("l"), "--id-col", "id",
        "--scores", "log_probabilities");
    assertThat(logp.at("/incidents/counts/NOT_NORMALIZED").asLong()).isEqualTo(notNormalized);
    assertThat(logp.at("/loss/mean").doubleValue()).isCloseTo(exact,
        within(64 * Math.ulp(100.0)));
    JsonNode logits = evaluate(data.resolve("logp"), out.resolve("x"), "--id-col", "id");
    assertThat(logits.at("/incidents/counts/NOT_NORMALIZED").asLong()).isZero();
    assertThat(logits.at("/loss/mean").doubleValue())
        .isEqualTo(logp.at("/loss/mean").doubleValue());
  }

  @Test
  void anUnknownKindIsOneSentence() throws IOException {
    assertBadInput(run("evaluate", "--input", data.resolve("p").toString(), "--scores",
        "odds"), "--scores", "'odds'");
  }
}
