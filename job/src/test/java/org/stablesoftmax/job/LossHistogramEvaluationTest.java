package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.stats.LossHistogram;
import org.stablesoftmax.stats.LossHistogramReference;
import org.stablesoftmax.stats.LossHistogram.Outside;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code loss.histogram} in summary.json: the exact row counts of the losses in their log-spaced
 * bins, against counts made here from the kernel's loss of each written row, the same for both
 * engines and any partitioning.
 */
class LossHistogramEvaluationTest extends SparkTestBase {

  private static final int ROWS = 900;
  private static final int CLASSES = 5;

  @TempDir
  static Path data;
  private static final List<Row> WRITTEN = new ArrayList<>();

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(15);
    for (long id = 0; id < ROWS; id++) {
      int label = rng.nextInt(CLASSES);
      // logits spread over many scales: losses from about 1e-12 (and 0) to about 1e5
      double scale = Math.pow(10, rng.nextDouble(-3, 5));
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = scale * rng.nextGaussian();
      }
      if (id % 97 == 0) {
        x[label] = Double.NEGATIVE_INFINITY; // +inf
      } else if (id % 101 == 0) {
        x[(label + 1) % CLASSES] = Double.NaN; // NaN
      } else if (id % 89 == 0) {
        x = new double[] {0, -1e6, -1e6, -1e6, -1e6};
        label = 0; // a loss of exactly 0
      }
      WRITTEN.add(RowFactory.create(id, label, x));
    }
    spark().createDataFrame(WRITTEN, InProcess.LABELED_ROWS).coalesce(1).write()
        .parquet(data.resolve("in1").toString());
    spark().createDataFrame(WRITTEN, InProcess.LABELED_ROWS).repartition(3).write()
        .parquet(data.resolve("in3").toString());
  }

  @Test
  void theHistogramCountsEveryRowsLossInItsBinOnBothEnginesAndAnySplit(@TempDir Path out)
      throws IOException {
    JsonNode s = evaluate(data.resolve("in3"), out.resolve("a"), "--id-col", "id");
    assertEnginesAgree(s, out, List.of(data.resolve("in1")), "--id-col", "id");

    List<Double> losses = new ArrayList<>();
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : WRITTEN) {
      double[] x = (double[]) r.get(2);
      row.analyze(x, 0, x.length, 1.0);
      losses.add(row.crossEntropy(r.getInt(1)));
    }
    double[] edges = LossHistogramReference.edges();
    LossHistogramReference.Counts expected = LossHistogramReference.count(losses);
    JsonNode h = s.at("/loss/histogram");
    assertThat(h.get("edges")).as("edges").hasSize(LossHistogram.BINS + 1);
    for (int k = 0; k <= LossHistogram.BINS; k++) {
      assertThat(h.get("edges").get(k).doubleValue()).as("edge %d", k).isEqualTo(edges[k]);
    }
    long[] rows = new long[LossHistogram.BINS];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = h.get("rows").get(i).longValue();
    }
    assertThat(rows).as("rows per bin").containsExactly(expected.bins());
    long total = 0;
    for (Outside kind : Outside.values()) {
      String name = kind.name().toLowerCase(Locale.ROOT);
      assertThat(h.get(name).longValue()).as(name).isEqualTo(expected.outside()[kind.ordinal()]);
      total += expected.outside()[kind.ordinal()];
    }
    for (long n : rows) {
      total += n;
    }
    assertThat(total).as("every evaluated row once").isEqualTo(ROWS)
        .isEqualTo(s.at("/rows/evaluated").longValue());
    assertThat(h.get("positive_infinity").longValue() + h.get("nan").longValue())
        .as("loss.non_finite").isEqualTo(s.at("/loss/non_finite").longValue());
    assertThat(h.get("zero").longValue()).as("exact zeros").isPositive();
    assertThat(h.get("above").longValue()).as("losses of 1e4 or more").isPositive();
    assertThat(h.get("below").longValue()).as("losses below 1e-6").isPositive();
  }
}
