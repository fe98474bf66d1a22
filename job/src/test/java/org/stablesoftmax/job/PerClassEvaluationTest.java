package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code --per-class}: per_class.parquet and scikit-learn's macro and weighted precision, recall
 * and F1, against counts and exact sums computed here from the kernel's argmax, loss and
 * confidence; a class never predicted has a null precision (and counts as 0 in the averages, as
 * scikit-learn's zero_division); a class only predicted is listed; ties of the most frequent
 * wrong prediction go to the smaller class; both engines and any partitioning agree.
 */
class PerClassEvaluationTest extends SparkTestBase {

  private static final int ROWS = 1200;
  private static final int CLASSES = 6;
  /** Never predicted: its logit is always far below the others. */
  private static final int NEVER_PREDICTED = 4;
  /** Never a label. */
  private static final int NEVER_LABEL = 5;

  @TempDir
  static Path data;
  private static final List<Row> WRITTEN = new ArrayList<>();
  private static final int WIDE = 300;
  private static final List<Row> WIDE_ROWS = new ArrayList<>();

  private static final StructType SCHEMA = InProcess.LABELED_ROWS;

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(8);
    for (long id = 0; id < ROWS; id++) {
      int label = rng.nextInt(CLASSES - 1);
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = rng.nextGaussian() + (i == label ? 0.8 : 0);
      }
      x[NEVER_PREDICTED] = -50;
      if (id % 211 == 0) {
        x[label] = Double.NEGATIVE_INFINITY; // an infinite loss, left out of the mean loss
      }
      WRITTEN.add(RowFactory.create(id, label, x));
    }
    spark().createDataFrame(WRITTEN, SCHEMA).coalesce(1).write()
        .parquet(data.resolve("in1").toString());
    spark().createDataFrame(WRITTEN, SCHEMA).repartition(4).write()
        .parquet(data.resolve("in4").toString());
    // rows wider than the engines' first buffers
    for (long id = 0; id < 150; id++) {
      double[] x = new double[WIDE];
      for (int i = 0; i < WIDE; i++) {
        x[i] = rng.nextGaussian() * 3;
      }
      WIDE_ROWS.add(RowFactory.create(id, rng.nextInt(WIDE), x, rng.nextDouble() * 2));
    }
    spark().createDataFrame(WIDE_ROWS, SCHEMA.add("w", DataTypes.DoubleType)).repartition(3)
        .write()
        .parquet(data.resolve("wide").toString());
  }

  @Test
  void perClassFiguresAndAveragesAreScikitLearns(@TempDir Path out) throws IOException {
    JsonNode s = evaluate(data.resolve("in4"), out.resolve("a"), "--id-col", "id",
        "--per-class");
    assertEnginesAgree(s, out, List.of(data.resolve("in1")), "--id-col", "id", "--per-class");
    List<Row> udf = spark().read().parquet(out.resolve("udf0/per_class.parquet").toString())
        .orderBy("class").collectAsList();

    // the reference: per class [support, predicted, tp], Σ finite loss, its rows, Σ confidence
    // when predicted, and per label the wrong predictions' counts
    TreeMap<Integer, long[]> counts = new TreeMap<>();
    TreeMap<Integer, BigDecimal[]> sums = new TreeMap<>();
    TreeMap<Integer, long[]> wrong = new TreeMap<>();
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : WRITTEN) {
      double[] x = (double[]) r.get(2);
      int y = r.getInt(1);
      row.analyze(x, 0, x.length, 1.0);
      int p = row.argmax();
      double loss = row.crossEntropy(y);
      for (int c : new int[] {y, p}) {
        counts.computeIfAbsent(c, k -> new long[4]);
        sums.computeIfAbsent(c, k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
      }
      counts.get(y)[0]++;
      counts.get(p)[1]++;
      if (p == y) {
        counts.get(y)[2]++;
      } else {
        wrong.computeIfAbsent(y, k -> new long[CLASSES])[p]++;
      }
      if (Double.isFinite(loss)) {
        sums.get(y)[0] = sums.get(y)[0].add(new BigDecimal(loss));
        counts.get(y)[3]++;
      }
      sums.get(p)[1] = sums.get(p)[1].add(new BigDecimal(row.maxProbability()));
    }
    List<Row> table = spark().read().parquet(out.resolve("a/per_class.parquet").toString())
        .orderBy("class").collectAsList();
    assertThat(table).hasSize(counts.size()).hasSize(CLASSES);
    assertThat(udf.toString()).isEqualTo(table.toString());
    BigDecimal[] macro = {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO};
    BigDecimal[] weighted = {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO};
    for (Row t : table) {
      int c = t.getInt(0);
      long[] n = counts.get(c);
      assertThat(new long[] {t.getLong(1), t.getLong(2), t.getLong(3)}).as("class %d", c)
          .containsExactly(n[0], n[1], n[2]);
      Double precision = n[1] == 0 ? null : (double) n[2] / n[1];
      Double recall = n[0] == 0 ? null : (double) n[2] / n[0];
      double f1 = 2.0 * n[2] / (n[0] + n[1]);
      assertThat((Double) t.getAs("precision")).as("class %d", c).isEqualTo(precision);
      assertThat((Double) t.getAs("recall")).as("class %d", c).isEqualTo(recall);
      assertThat((Double) t.getAs("f1")).as("class %d", c).isEqualTo(f1);
      if (n[3] > 0) {
        double mean = sums.get(c)[0].divide(BigDecimal.valueOf(n[3]), MathContext.DECIMAL128)
            .doubleValue();
        assertThat((Double) t.getAs("mean_loss")).isCloseTo(mean, within(2 * Math.ulp(mean)));
      } else {
        assertThat((Object) t.getAs("mean_loss")).isNull();
      }
      if (n[1] > 0) {
        double conf = sums.get(c)[1].divide(BigDecimal.valueOf(n[1]), MathContext.DECIMAL128)
            .doubleValue();
        assertThat((Double) t.getAs("mean_confidence_when_predicted"))
            .isCloseTo(conf, within(2 * Math.ulp(conf)));
      }
      // the most rows, ties to the smaller class
      long[] w = wrong.get(c);
      Integer worst = null;
      for (int d = 0; w != null && d < CLASSES; d++) {
        if (w[d] > 0 && (worst == null || w[d] > w[worst])) {
          worst = d;
        }
      }
      assertThat((Integer) t.getAs("most_frequent_wrong_prediction")).as("class %d", c)
          .isEqualTo(worst);
      double[] v = {precision == null ? 0 : precision, recall == null ? 0 : recall, f1};
      for (int i = 0; i < 3; i++) {
        macro[i] = macro[i].add(new BigDecimal(v[i]));
        weighted[i] = weighted[i].add(new BigDecimal(v[i]).multiply(BigDecimal.valueOf(n[0])));
      }
    }
    assertThat((Object) table.get(NEVER_PREDICTED).getAs("precision")).isNull();
    assertThat((Object) table.get(NEVER_LABEL).getAs("recall")).isNull();
    assertThat(table.get(NEVER_LABEL).getLong(2)).as("only predicted, still listed")
        .isPositive();
    String[] names = {"precision", "recall", "f1"};
    for (int i = 0; i < 3; i++) {
      double m = macro[i].divide(BigDecimal.valueOf(CLASSES), MathContext.DECIMAL128)
          .doubleValue();
      double w = weighted[i].divide(BigDecimal.valueOf(ROWS), MathContext.DECIMAL128)
          .doubleValue();
      assertThat(s.at("/per_class/macro/" + names[i]).doubleValue()).as(names[i])
          .isCloseTo(m, within(2 * Math.ulp(m)));
      assertThat(s.at("/per_class/weighted/" + names[i]).doubleValue()).as(names[i])
          .isCloseTo(w, within(2 * Math.ulp(w)));
    }
    // micro-averaged recall over all classes is the accuracy
    assertThat(s.at("/per_class/classes").asInt()).isEqualTo(CLASSES);
    assertThat(s.at("/per_class/never_predicted").asInt()).isEqualTo(1);
    assertThat(s.at("/per_class/weighted/recall").doubleValue())
        .isCloseTo(s.at("/metrics/accuracy").doubleValue(), within(4 * Math.ulp(1.0)));
  }

  @Test
  void theClasswiseCalibrationErrorIsKulls(@TempDir Path out) throws IOException {
    JsonNode s = evaluate(data.resolve("in4"), out.resolve("a"), "--id-col", "id",
        "--per-class", "--calibration-bins", "10");
    assertEnginesAgree(s, out, List.of(data.resolve("in1")), "--id-col", "id", "--per-class",
        "--calibration-bins", "10");
    assertClasswise(s, out.resolve("a/per_class.parquet"), WRITTEN, CLASSES, 10, false);
    JsonNode wide = evaluate(data.resolve("wide"), out.resolve("w"), "--id-col", "id",
        "--per-class");
    assertEnginesAgree(wide, out.resolve("wide"), List.of(data.resolve("wide")), "--id-col",
        "id", "--per-class");
    assertClasswise(wide, out.resolve("w/per_class.parquet"), WIDE_ROWS, WIDE, 15, false);
    // with sample weights, every count of the bins a sum of weights
    JsonNode weighted = evaluate(data.resolve("wide"), out.resolve("ww"), "--id-col", "id",
        "--per-class", "--weight-col", "w");
    assertClasswise(weighted, out.resolve("ww/per_class.parquet"), WIDE_ROWS, WIDE, 15, true);
    JsonNode plain = evaluate(data.resolve("in1"), out.resolve("plain"), "--id-col", "id");
    assertThat(plain.at("/metrics/classwise_ece").isNull()).as("without --per-class").isTrue();
  }

  @Test
  void perClassNeedsALabel() {
    assertBadInput(run("evaluate", "--input", data.resolve("in1").toString(), "--per-class",
        "--no-label"), "--per-class", "label");
  }

  /**
   * Asserts the classwise calibration errors of {@code rows} of {@code classes} classes over
   * {@code bins} bins: per class c and bin b of p_c, the rows, the rows of label c and Σ p_c,
   * over every row, exactly.
   */
  private void assertClasswise(JsonNode s, Path perClass, List<Row> rows, int classes,
      int bins, boolean weighted) {
    BigDecimal[][] hits = new BigDecimal[classes][bins];
    BigDecimal[][] p = new BigDecimal[classes][bins];
    for (int c = 0; c < classes; c++) {
      java.util.Arrays.fill(hits[c], BigDecimal.ZERO);
      java.util.Arrays.fill(p[c], BigDecimal.ZERO);
    }
    BigDecimal total = BigDecimal.ZERO;
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : rows) {
      double[] x = (double[]) r.get(2);
      BigDecimal w = weighted ? new BigDecimal(r.getDouble(3)) : BigDecimal.ONE;
      total = total.add(w);
      row.analyze(x, 0, x.length, 1.0);
      for (int c = 0; c < classes; c++) {
        double pc = row.probability(c);
        int b = Math.min((int) (pc * bins), bins - 1);
        hits[c][b] = r.getInt(1) == c ? hits[c][b].add(w) : hits[c][b];
        p[c][b] = p[c][b].add(w.multiply(new BigDecimal(pc)));
      }
    }
    BigDecimal all = BigDecimal.ZERO;
    List<Row> table = spark().read().parquet(perClass.toString()).collectAsList();
    java.util.Map<Integer, Double> listed = new java.util.HashMap<>();
    table.forEach(t -> listed.put(t.getInt(0), t.getAs("calibration_error")));
    for (int c = 0; c < classes; c++) {
      BigDecimal gap = BigDecimal.ZERO;
      for (int b = 0; b < bins; b++) {
        gap = gap.add(hits[c][b].subtract(p[c][b]).abs());
      }
      BigDecimal error = gap.divide(total, MathContext.DECIMAL128);
      all = all.add(error);
      double e = error.doubleValue();
      if (listed.containsKey(c)) {
        assertThat(listed.get(c)).as("class %d", c).isCloseTo(e, within(4 * Math.ulp(e)));
      }
    }
    double expected = all.divide(BigDecimal.valueOf(classes), MathContext.DECIMAL128)
        .doubleValue();
    assertThat(s.at("/metrics/classwise_ece").doubleValue())
        .isCloseTo(expected, within(4 * Math.ulp(expected)));
  }
}
