package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.assertEnginesAgree;
import static org.stablesoftmax.job.InProcess.evaluate;
import static org.stablesoftmax.job.InProcess.results;
import static org.stablesoftmax.job.InProcess.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code --bootstrap B --seed S}: the intervals are those of the documented method, recomputed
 * here from the kernel's per-row values (bucket sums in BigDecimal, replicates drawn as the README
 * says, numpy's percentiles); the same to the bit for any partitioning and either engine; of the
 * width the normal approximation predicts; and another seed gives others.
 */
class BootstrapEvaluationTest extends SparkTestBase {

  private static final int ROWS = 3000;
  private static final int CLASSES = 5;
  private static final int B = 300;
  private static final int M = 10_000;
  private static final int BINS = 15;

  @TempDir
  static Path data;
  private static final List<Row> WRITTEN = new ArrayList<>();

  private static final StructType SCHEMA = InProcess.LABELED_ROWS;

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(5);
    for (long id = 0; id < ROWS; id++) {
      double[] x = new double[CLASSES];
      int label = rng.nextInt(CLASSES);
      for (int i = 0; i < CLASSES; i++) {
        x[i] = rng.nextGaussian() + (i == label ? 1.0 : 0.0);
      }
      if (id % 97 == 0) {
        x[label] = -800; // a huge loss, still finite
      }
      // ids spread out, so that buckets come from the hash and not from the order
      WRITTEN.add(RowFactory.create(id * 7919 + 13, label, x));
    }
    for (int parts : new int[] {1, 4}) {
      spark().createDataFrame(WRITTEN, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("in" + parts).toString());
    }
  }

  private static String[] bootstrap(long seed, String... more) {
    List<String> args = new ArrayList<>(List.of("--id-col", "id", "--bootstrap",
        Integer.toString(B), "--seed", Long.toString(seed)));
    args.addAll(Arrays.asList(more));
    return args.toArray(String[]::new);
  }

  @Test
  void intervalsAreTheMethodsAndIndependentOfLayoutAndEngine(@TempDir Path out)
      throws IOException {
    JsonNode s = evaluate(data.resolve("in4"), out.resolve("a"), bootstrap(11));
    assertEnginesAgree(s, out, List.of(data.resolve("in1")), bootstrap(11));

    // the buckets' sums, exactly, from the kernel's values of each row
    int fields = 7 + 3 * BINS;
    BigDecimal[][] sums = new BigDecimal[M][fields];
    for (BigDecimal[] bucket : sums) {
      Arrays.fill(bucket, BigDecimal.ZERO);
    }
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : WRITTEN) {
      double[] x = (double[]) r.get(2);
      int y = r.getInt(1);
      row.analyze(x, 0, x.length, 1.0);
      BigDecimal[] b = sums[Math.floorMod(XXH64.hashLong(r.getLong(0), 11), M)];
      boolean top1 = row.argmax() == y;
      double p = row.maxProbability();
      double[] values = new double[fields];
      values[0] = 1;
      values[1] = row.crossEntropy(y);
      values[2] = 1;
      values[3] = top1 ? 1 : 0;
      values[4] = row.rank(y) < 5 ? 1 : 0;
      values[5] = row.brier(y);
      values[6] = 1;
      int bin = Math.min((int) (p * BINS), BINS - 1);
      values[7 + 3 * bin] = 1;
      values[8 + 3 * bin] = top1 ? 1 : 0;
      values[9 + 3 * bin] = p;
      for (int f = 0; f < fields; f++) {
        b[f] = b[f].add(new BigDecimal(values[f]));
      }
    }
    double[][] bucket = new double[M][fields];
    for (int j = 0; j < M; j++) {
      for (int f = 0; f < fields; f++) {
        bucket[j][f] = sums[j][f].doubleValue();
      }
    }
    // B replicates, each of M buckets drawn with replacement by SplittableRandom(seed)
    SplittableRandom draws = new SplittableRandom(11);
    double[][] metric = new double[5][B];
    for (int r = 0; r < B; r++) {
      double[] t = new double[fields];
      for (int i = 0; i < M; i++) {
        double[] picked = bucket[draws.nextInt(M)];
        for (int f = 0; f < fields; f++) {
          t[f] += picked[f];
        }
      }
      double gaps = 0;
      for (int bin = 0; bin < BINS; bin++) {
        gaps += Math.abs(t[8 + 3 * bin] - t[9 + 3 * bin]);
      }
      metric[0][r] = t[1] / t[2];
      metric[1][r] = t[3] / t[0];
      metric[2][r] = t[4] / t[0];
      metric[3][r] = t[5] / t[6];
      metric[4][r] = gaps / t[0];
    }
    String[] fieldsOut = {"/loss/mean_ci", "/metrics/accuracy_ci",
        "/metrics/top_k_accuracy_ci", "/metrics/brier_ci", "/metrics/ece_ci"};
    for (int k = 0; k < 5; k++) {
      double[] v = metric[k].clone();
      Arrays.sort(v);
      for (int end = 0; end < 2; end++) {
        double h = (B - 1) * (end == 0 ? 0.025 : 0.975);
        int lo = (int) h;
        double expected = v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
        double got = s.at(fieldsOut[k]).get(end).doubleValue();
        assertThat(Math.abs(got - expected)).as("%s[%d]", fieldsOut[k], end)
            .isLessThanOrEqualTo(16 * Math.ulp(expected));
      }
    }
    double[] perplexity = {s.at("/loss/perplexity_ci/0").doubleValue(),
        s.at("/loss/perplexity_ci/1").doubleValue()};
    assertThat(perplexity).containsExactly(StrictMath.exp(s.at("/loss/mean_ci/0").doubleValue()),
        StrictMath.exp(s.at("/loss/mean_ci/1").doubleValue()));
    assertThat(s.at("/bootstrap/replicates").asInt()).isEqualTo(B);
    assertThat(s.at("/bootstrap/seed").asLong()).isEqualTo(11);
    assertThat(s.at("/bootstrap/buckets").asInt()).isEqualTo(M);
    assertThat(s.at("/options/bootstrap").asInt()).isEqualTo(B);
  }

  @Test
  void theAccuracyIntervalHasTheBinomialWidthAndMovesWithTheSeed(@TempDir Path out)
      throws IOException {
    JsonNode a = evaluate(data.resolve("in4"), out.resolve("a"), bootstrap(1));
    JsonNode b = evaluate(data.resolve("in4"), out.resolve("b"), bootstrap(2));
    double acc = a.at("/metrics/accuracy").doubleValue();
    double width = a.at("/metrics/accuracy_ci/1").doubleValue()
        - a.at("/metrics/accuracy_ci/0").doubleValue();
    // 2 x 1.96 standard errors of a proportion over ROWS rows; B = 300 estimates it to ~10%
    double normal = 2 * 1.96 * Math.sqrt(acc * (1 - acc) / ROWS);
    assertThat(width).isBetween(0.75 * normal, 1.25 * normal);
    assertThat(a.at("/metrics/accuracy_ci/0").doubleValue()).isLessThan(acc);
    assertThat(a.at("/metrics/accuracy_ci/1").doubleValue()).isGreaterThan(acc);
    assertThat(b.at("/metrics/accuracy_ci").toString())
        .isNotEqualTo(a.at("/metrics/accuracy_ci").toString());
    // the metrics themselves do not depend on the bootstrap
    assertThat(b.at("/metrics/accuracy").doubleValue()).isEqualTo(acc);
  }

  @Test
  void rowsWithoutIdsAreBucketedByFileAndIndex(@TempDir Path out) throws IOException {
    JsonNode arrow = evaluate(data.resolve("in4"), out.resolve("a"), "--bootstrap", "50");
    JsonNode udf = evaluate(data.resolve("in4"), out.resolve("u"), "--bootstrap", "50",
        "--engine", "udf");
    assertThat(results(udf, "engine")).isEqualTo(results(arrow, "engine"));
    assertThat(arrow.at("/metrics/ece_ci").size()).isEqualTo(2);
    JsonNode none = evaluate(data.resolve("in4"), out.resolve("n"));
    assertThat(none.has("bootstrap")).isFalse();
    assertThat(none.at("/metrics").has("accuracy_ci")).isFalse();
  }

  @Test
  void badBootstrapOptionsAreOneSentence() {
    String in = data.resolve("in1").toString();
    assertBadInput(run("evaluate", "--input", in, "--bootstrap", "0"), "--bootstrap");
    assertBadInput(run("evaluate", "--input", in, "--bootstrap", "10", "--no-label"),
        "--bootstrap", "label");
    assertBadInput(run("evaluate", "--input", in, "--bootstrap", "10", "--calibration-bins",
        "500"), "--calibration-bins");
  }
}
