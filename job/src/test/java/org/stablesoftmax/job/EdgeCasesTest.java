package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
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
import org.stablesoftmax.testing.SparkTestBase;

/**
 * The edge cases the peers' users report: a batch whose labels are all one class, rows of a single
 * class (one logit), and a batch whose every row is ignored. Each metric is checked against a
 * reference computed here, in both engines, with and without a bootstrap.
 */
class EdgeCasesTest extends SparkTestBase {

  private static final int ROWS = 400;
  private static final int CLASSES = 4;
  private static final int LABEL = 2;

  @TempDir
  static Path data;
  private static final List<double[]> ONE_LABEL = new ArrayList<>();

  private static final StructType SCHEMA = InProcess.LABELED_ROWS;

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(17);
    List<Row> oneLabel = new ArrayList<>();
    List<Row> oneClass = new ArrayList<>();
    List<Row> ignored = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = rng.nextGaussian() * 2;
      }
      ONE_LABEL.add(x);
      oneLabel.add(RowFactory.create(id, LABEL, x));
      oneClass.add(RowFactory.create(id, 0, new double[] {rng.nextGaussian() * 100}));
      ignored.add(RowFactory.create(id, -100, x));
    }
    write(oneLabel, "one-label");
    write(oneClass, "one-class");
    write(ignored, "ignored");
  }

  private void write(List<Row> rows, String name) {
    spark().createDataFrame(rows, SCHEMA).repartition(3).write()
        .parquet(data.resolve(name).toString());
  }

  /** Evaluates with both engines, asserts they agree; the summary. */
  private static JsonNode bothEngines(String name, Path out, String... options)
      throws IOException {
    JsonNode s = evaluate(data.resolve(name), out.resolve("default"), options);
    assertEnginesAgree(s, out, List.of(data.resolve(name)), options);
    return s;
  }

  @Test
  void aBatchOfOneLabelHasExactMetrics(@TempDir Path out) throws IOException {
    JsonNode s = bothEngines("one-label", out, "--id-col", "id", "--bootstrap", "100");
    SoftmaxRow row = new SoftmaxRow();
    BigDecimal loss = BigDecimal.ZERO;
    BigDecimal brier = BigDecimal.ZERO;
    long correct = 0;
    CalibrationReference calibration = new CalibrationReference(15);
    for (double[] x : ONE_LABEL) {
      row.analyze(x, 0, x.length, 1.0);
      loss = loss.add(new BigDecimal(row.crossEntropy(LABEL)));
      brier = brier.add(new BigDecimal(row.brier(LABEL)));
      correct += row.argmax() == LABEL ? 1 : 0;
      calibration.add(row.maxProbability(), row.argmax() == LABEL, 1.0);
    }
    assertThat(s.at("/loss/mean").doubleValue()).isEqualTo(loss.doubleValue() / ROWS);
    assertThat(s.at("/metrics/brier").doubleValue()).isEqualTo(brier.doubleValue() / ROWS);
    assertThat(s.at("/metrics/accuracy").doubleValue()).isEqualTo((double) correct / ROWS);
    EvaluateCommandTest.assertCalibration(s, calibration, 8 * Math.ulp(1.0));
    assertThat(s.at("/metrics/accuracy_ci").size()).isEqualTo(2);
  }

  @Test
  void rowsOfOneClassAreCertainAndCorrect(@TempDir Path out) throws IOException {
    JsonNode s = bothEngines("one-class", out, "--id-col", "id", "--bootstrap", "50");
    // softmax of one logit is [1]: no loss, always right, perfectly calibrated, no entropy
    assertThat(s.at("/rows/evaluated").asLong()).isEqualTo(ROWS);
    assertThat(s.at("/loss/mean").doubleValue()).isZero();
    assertThat(s.at("/loss/perplexity").doubleValue()).isEqualTo(1.0);
    assertThat(s.at("/metrics/accuracy").doubleValue()).isEqualTo(1.0);
    assertThat(s.at("/metrics/brier").doubleValue()).isZero();
    assertThat(s.at("/metrics/ece").doubleValue()).isZero();
    assertThat(s.at("/metrics/adaptive_ece").doubleValue()).isZero();
    assertThat(s.at("/metrics/mean_entropy").doubleValue()).isZero();
    assertThat(s.at("/metrics/calibration/14/rows").asLong()).isEqualTo(ROWS);
    assertThat(s.at("/metrics/accuracy_ci").toString()).isEqualTo("[1.0,1.0]");
    assertThat(s.at("/loss/mean_ci").toString()).isEqualTo("[0.0,0.0]");
  }

  @Test
  void aBatchWhoseEveryRowIsIgnoredHasNoMeans(@TempDir Path out) throws IOException {
    JsonNode s = bothEngines("ignored", out, "--id-col", "id", "--ignore-index", "-100",
        "--bootstrap", "50");
    // PyTorch's mean over no target is NaN: here null, with every row counted as skipped
    assertThat(s.at("/rows/evaluated").asLong()).isZero();
    assertThat(s.at("/rows/skipped_by_reason/ignore_index").asLong()).isEqualTo(ROWS);
    for (String f : new String[] {"/loss/mean", "/loss/perplexity", "/metrics/accuracy",
        "/metrics/top_k_accuracy", "/metrics/brier", "/metrics/ece", "/metrics/mce",
        "/metrics/rmsce", "/metrics/adaptive_ece", "/metrics/mean_entropy", "/loss/mean_ci",
        "/metrics/accuracy_ci", "/metrics/ece_ci"}) {
      assertThat(s.at(f).isNull()).as(f).isTrue();
    }
    for (JsonNode bin : s.at("/metrics/calibration")) {
      assertThat(bin.get("rows").asLong()).isZero();
      assertThat(bin.get("accuracy_ci").isNull()).isTrue();
    }
    assertThat(s.at("/incidents/counts/LABEL_OUT_OF_RANGE").asLong()).isZero();
  }
}
