package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
 * {@code metrics.adaptive_ece}: 15 equal-mass bins over the top-label confidence, against Nixon
 * et al.'s reference algorithm (sort, upper edges at ranks round(b N / R), numpy.digitize) in
 * exact arithmetic here, with ties of many rows (confidence exactly 1.0, saturated or single-class
 * rows) spanning bins, weighted, and the same to the bit across engines and partitionings.
 */
class AdaptiveCalibrationTest extends SparkTestBase {

  private static final int BINS = 15;
  private static final int LEVELS = 41;

  @TempDir
  static Path data;

  /** Per written row of a dataset: the kernel's confidence, correct or not, the weight. */
  private record Scored(double p, boolean top1, double w) {}

  private static final List<Scored> TIED = new ArrayList<>();
  private static final List<Scored> SPREAD = new ArrayList<>();
  private static final List<Scored> ONE_CLASS = new ArrayList<>();

  private static final StructType SCHEMA = InProcess.WEIGHTED_ROWS;

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(17);
    // confidences on LEVELS levels far apart (1 - p = 0.5 * 0.8^j: each level a key of its own),
    // each repeated, and many rows at exactly 1.0: saturated [0, -1000] and single-class [3]
    List<Row> tied = new ArrayList<>();
    for (long id = 0; id < 900; id++) {
      double[] x;
      if (id % 5 == 0) {
        x = id % 2 == 0 ? new double[] {0, -1000} : new double[] {3};
      } else {
        double q = 0.5 * Math.pow(0.8, rng.nextInt(LEVELS));
        x = new double[] {0, Math.log(q / (1 - q))};
      }
      int label = x.length == 1 ? 0 : rng.nextInt(4) == 0 ? 1 : 0;
      double w = id % 11 == 0 ? 0.0 : rng.nextDouble() * 3;
      tied.add(RowFactory.create(id, label, x, w));
      TIED.add(scored(x, label, w));
    }
    // distinct confidences, several per key
    List<Row> spread = new ArrayList<>();
    for (long id = 0; id < 1500; id++) {
      double[] x = new double[6];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextGaussian() * (1 + id % 4);
      }
      int label = rng.nextInt(6);
      spread.add(RowFactory.create(id, label, x, 1.0));
      SPREAD.add(scored(x, label, 1.0));
    }
    // a single-class batch: one class, every row right and at confidence 1.0
    List<Row> one = new ArrayList<>();
    for (long id = 0; id < 40; id++) {
      double[] x = {rng.nextGaussian()};
      one.add(RowFactory.create(id, 0, x, 1.0));
      ONE_CLASS.add(scored(x, 0, 1.0));
    }
    for (int parts : new int[] {1, 4}) {
      spark().createDataFrame(tied, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("tied" + parts).toString());
      spark().createDataFrame(spread, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("spread" + parts).toString());
    }
    spark().createDataFrame(one, SCHEMA).write().parquet(data.resolve("one").toString());
  }

  private static Scored scored(double[] x, int label, double w) {
    SoftmaxRow row = new SoftmaxRow();
    row.analyze(x, 0, x.length, 1.0);
    return new Scored(row.maxProbability(), row.argmax() == label, w);
  }

  @Test
  void tiesAtOneAreNixonsBinsExactly(@TempDir Path out) throws IOException {
    JsonNode s = parity("tied", out);
    long saturated = TIED.stream().filter(r -> r.p() == 1.0).count();
    assertThat(saturated).as("rows at exactly 1.0 span more than one bin's worth")
        .isGreaterThan(2L * TIED.size() / BINS);
    int[] bin = nixonBins(TIED);
    assertBins(s, TIED, bin, false);
    assertThat(s.at("/metrics/adaptive_ece").doubleValue()).isGreaterThan(0.01);
    // the tie at 1.0 is not split: all of it in the last bin, the bins it spans before empty
    JsonNode last = s.at("/metrics/adaptive_calibration/" + (BINS - 1));
    assertThat(last.get("rows").asLong()).isEqualTo(saturated);
    assertThat(last.get("from").doubleValue()).isEqualTo(1.0);
    assertThat(s.at("/metrics/adaptive_calibration/" + (BINS - 2) + "/rows").asLong()).isZero();
  }

  @Test
  void weightedBinsHoldEqualWeight(@TempDir Path out) throws IOException {
    JsonNode s = parity("tied", out, "--weight-col", "w");
    assertBins(s, TIED, weightedBins(TIED), true);
    assertThat(s.at("/metrics/adaptive_ece").doubleValue()).isGreaterThan(0.01);
    assertThat(s.at("/metrics/adaptive_calibration/0/weight").doubleValue()).isPositive();
  }

  @Test
  void distinctConfidencesGiveNearlyEqualBins(@TempDir Path out) throws IOException {
    JsonNode s = parity("spread", out);
    // bins are contiguous ranges of the sorted confidences, cut at key edges: the reference sums
    // over the rows in each bin's [from, to]
    int[] bin = new int[SPREAD.size()];
    for (int i = 0; i < bin.length; i++) {
      bin[i] = -1;
      for (int b = 0; b < BINS; b++) {
        JsonNode n = s.at("/metrics/adaptive_calibration/" + b);
        if (n.get("rows").asLong() > 0 && SPREAD.get(i).p() >= n.get("from").doubleValue()
            && SPREAD.get(i).p() <= n.get("to").doubleValue()) {
          assertThat(bin[i]).as("row %d in one bin", i).isEqualTo(-1);
          bin[i] = b;
        }
      }
    }
    assertBins(s, SPREAD, bin, false);
    for (int b = 0; b < BINS; b++) {
      assertThat(s.at("/metrics/adaptive_calibration/" + b + "/rows").asLong())
          .as("bin %d of %d rows", b, SPREAD.size())
          .isBetween(SPREAD.size() / BINS / 2L, 3L * SPREAD.size() / BINS / 2);
    }
    // the equal-mass bins are not the equal-width ones
    assertThat(s.at("/metrics/adaptive_ece").doubleValue())
        .isNotEqualTo(s.at("/metrics/ece").doubleValue());
  }

  @Test
  void aSingleClassBatchIsCalibrated(@TempDir Path out) throws IOException {
    JsonNode s = evaluate(data.resolve("one"), out.resolve("one"), "--id-col", "id");
    assertBins(s, ONE_CLASS, nixonBins(ONE_CLASS), false);
    assertThat(s.at("/metrics/adaptive_ece").doubleValue()).isEqualTo(0.0);
    assertThat(s.at("/metrics/adaptive_calibration/" + (BINS - 1) + "/rows").asLong())
        .isEqualTo(ONE_CLASS.size());
    assertThat(s.at("/metrics/adaptive_calibration/0/from").isNull()).isTrue();
  }

  /** The summary of {@code name}, the same across both engines and partitionings. */
  private static JsonNode parity(String name, Path out, String... options) throws IOException {
    List<String> all = new ArrayList<>(List.of("--id-col", "id"));
    all.addAll(List.of(options));
    String[] args = all.toArray(String[]::new);
    JsonNode s = evaluate(data.resolve(name + "4"), out.resolve("a4"), args);
    assertEnginesAgree(s, out, List.of(data.resolve(name + "1"), data.resolve(name + "4")), args);
    return s;
  }

  /**
   * Nixon et al.'s reference binning: upper edges the sorted confidences at ranks
   * {@code min(round(b N / R), N - 1)}, a row in bin {@code #(edges <= p)} (numpy.digitize).
   */
  private static int[] nixonBins(List<Scored> rows) {
    double[] sorted = rows.stream().mapToDouble(Scored::p).sorted().toArray();
    int n = sorted.length;
    double[] edges = new double[BINS - 1];
    for (int b = 1; b < BINS; b++) {
      int rank = BigDecimal.valueOf((long) b * n).divide(BigDecimal.valueOf(BINS), 0,
          RoundingMode.HALF_EVEN).intValueExact();
      edges[b - 1] = sorted[Math.min(rank, n - 1)];
    }
    int[] bin = new int[rows.size()];
    for (int i = 0; i < bin.length; i++) {
      for (double e : edges) {
        bin[i] += e <= rows.get(i).p() ? 1 : 0;
      }
    }
    return bin;
  }

  /**
   * Equal-weight bins of equal confidences kept together: a value goes to the largest b with
   * b W / R below the exact weight up to and including it.
   */
  private static int[] weightedBins(List<Scored> rows) {
    BigDecimal total = rows.stream().map(r -> new BigDecimal(r.w()))
        .reduce(BigDecimal.ZERO, BigDecimal::add);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble(i -> rows.get(i).p()));
    int[] bin = new int[rows.size()];
    BigDecimal through = BigDecimal.ZERO;
    for (int k = 0; k < order.size(); ) {
      double p = rows.get(order.get(k)).p();
      int end = k;
      while (end < order.size() && rows.get(order.get(end)).p() == p) {
        through = through.add(new BigDecimal(rows.get(order.get(end)).w()));
        end++;
      }
      int b = 0;
      while (b + 1 < BINS && total.multiply(BigDecimal.valueOf(b + 1))
          .compareTo(through.multiply(BigDecimal.valueOf(BINS))) < 0) {
        b++;
      }
      for (; k < end; k++) {
        bin[order.get(k)] = b;
      }
    }
    return bin;
  }

  /**
   * Asserts the summary's equal-mass bins hold the rows of {@code bin}, and its adaptive ECE is
   * Σ_b |correct_b - Σ confidence_b| / N computed exactly.
   */
  private static void assertBins(JsonNode s, List<Scored> rows, int[] bin, boolean weighted) {
    long[] count = new long[BINS];
    BigDecimal[] weight = new BigDecimal[BINS];
    BigDecimal[] correct = new BigDecimal[BINS];
    BigDecimal[] confidence = new BigDecimal[BINS];
    for (int b = 0; b < BINS; b++) {
      weight[b] = correct[b] = confidence[b] = BigDecimal.ZERO;
    }
    BigDecimal total = BigDecimal.ZERO;
    for (int i = 0; i < rows.size(); i++) {
      Scored r = rows.get(i);
      BigDecimal w = weighted ? new BigDecimal(r.w()) : BigDecimal.ONE;
      int b = bin[i];
      count[b]++;
      weight[b] = weight[b].add(w);
      correct[b] = r.top1() ? correct[b].add(w) : correct[b];
      confidence[b] = confidence[b].add(w.multiply(new BigDecimal(r.p())));
      total = total.add(w);
    }
    BigDecimal l1 = BigDecimal.ZERO;
    for (int b = 0; b < BINS; b++) {
      JsonNode n = s.at("/metrics/adaptive_calibration/" + b);
      assertThat(n.get("rows").asLong()).as("bin %d", b).isEqualTo(count[b]);
      if (count[b] > 0) {
        assertThat(n.get("mean_confidence").doubleValue()).as("bin %d", b).isCloseTo(
            confidence[b].divide(weight[b], CalibrationReference.MC).doubleValue(),
            within(4 * Math.ulp(1.0)));
      }
      l1 = l1.add(correct[b].subtract(confidence[b]).abs());
    }
    double exact = l1.divide(total, CalibrationReference.MC).doubleValue();
    assertThat(s.at("/metrics/adaptive_ece").doubleValue()).isCloseTo(exact,
        within(8 * Math.ulp(1.0)));
  }
}
