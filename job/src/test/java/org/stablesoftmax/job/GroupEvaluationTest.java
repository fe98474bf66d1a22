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
 * {@code --group-col}: one row per token, the groups (sequences) spread over partitions. The
 * number of groups, the mean over groups of each group's mean loss and of its perplexity, against
 * exact per-group sums computed here; the token-weighted loss unchanged; any partitioning and
 * either engine the same; a group of no finite loss left out and counted; null groups counted.
 */
class GroupEvaluationTest extends SparkTestBase {

  private static final int ROWS = 2500;
  private static final int CLASSES = 7;
  private static final int MASKED_GROUP = 3;

  @TempDir
  static Path data;
  private static final List<Row> WRITTEN = new ArrayList<>();

  private static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType)
      .add("label", DataTypes.IntegerType)
      .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false))
      .add("doc", DataTypes.StringType, true)
      .add("seq", DataTypes.IntegerType, true)
      .add("w", DataTypes.DoubleType)
      .add("score", DataTypes.DoubleType);

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(3);
    for (long id = 0; id < ROWS; id++) {
      // groups of 30 tokens, then of 4, in order; every 13th token in one group of them all;
      // every 50th without a group
      int group = id % 13 == 0 ? 999 : (int) (id < 1200 ? id / 30 : id / 4);
      double[] x = new double[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        x[i] = rng.nextGaussian() * (1 + group % 3);
      }
      int label = rng.nextInt(CLASSES);
      if (group == MASKED_GROUP) {
        x[label] = Double.NEGATIVE_INFINITY; // an infinite loss for every token of the group
      }
      boolean noGroup = id % 50 == 17;
      WRITTEN.add(RowFactory.create(id, label, x, noGroup ? null : "doc-" + group,
          noGroup ? null : group, 0.5 + rng.nextDouble(), rng.nextDouble()));
    }
    spark().createDataFrame(WRITTEN, SCHEMA).coalesce(1).write()
        .parquet(data.resolve("in1").toString());
    // the same rows in random order over 5 files: every group spans partitions
    spark().createDataFrame(WRITTEN, SCHEMA).repartition(5).write()
        .parquet(data.resolve("in5").toString());
  }

  /** Per group (in order of name) its exact Σ s ℓ and Σ s over finite losses. */
  private static TreeMap<String, BigDecimal[]> groups(boolean weighted) {
    TreeMap<String, BigDecimal[]> groups = new TreeMap<>();
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : WRITTEN) {
      if (r.isNullAt(3)) {
        continue;
      }
      double[] x = (double[]) r.get(2);
      row.analyze(x, 0, x.length, 1.0);
      double loss = row.crossEntropy(r.getInt(1));
      BigDecimal[] g = groups.computeIfAbsent(r.getString(3),
          k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
      if (Double.isFinite(loss)) {
        BigDecimal s = weighted ? new BigDecimal(r.getDouble(5)) : BigDecimal.ONE;
        g[0] = g[0].add(s.multiply(new BigDecimal(loss)));
        g[1] = g[1].add(s);
      }
    }
    return groups;
  }

  private static void assertGroups(JsonNode s, boolean weighted) {
    TreeMap<String, BigDecimal[]> groups = groups(weighted);
    BigDecimal means = BigDecimal.ZERO;
    BigDecimal perplexities = BigDecimal.ZERO;
    long defined = 0;
    for (BigDecimal[] g : groups.values()) {
      if (g[1].signum() == 0) {
        continue;
      }
      BigDecimal mean = g[0].divide(g[1], MathContext.DECIMAL128);
      means = means.add(mean);
      perplexities = perplexities.add(new BigDecimal(StrictMath.exp(mean.doubleValue())));
      defined++;
    }
    assertThat(s.at("/groups/count").asLong()).isEqualTo(defined);
    assertThat(s.at("/groups/undefined").asLong()).isEqualTo(groups.size() - defined)
        .isEqualTo(1);
    double meanLoss = means.divide(BigDecimal.valueOf(defined), MathContext.DECIMAL128)
        .doubleValue();
    double meanPerplexity = perplexities.divide(BigDecimal.valueOf(defined),
        MathContext.DECIMAL128).doubleValue();
    assertThat(s.at("/groups/mean_loss").doubleValue())
        .isCloseTo(meanLoss, within(4 * Math.ulp(meanLoss)));
    // exp of a mean within an ulp or two: a few ulps of the perplexity
    assertThat(s.at("/groups/mean_perplexity").doubleValue())
        .isCloseTo(meanPerplexity, within(64 * Math.ulp(meanPerplexity)));
    assertThat(s.at("/groups/null_group_rows").asLong())
        .isEqualTo(WRITTEN.stream().filter(r -> r.isNullAt(3)).count());
  }

  @Test
  void groupMeansAreExactAndIndependentOfPartitioningAndEngine(@TempDir Path out)
      throws IOException {
    JsonNode s = evaluate(data.resolve("in5"), out.resolve("a5"), "--id-col", "id",
        "--group-col", "doc");
    assertEnginesAgree(s, out, List.of(data.resolve("in1")), "--id-col", "id", "--group-col",
        "doc");
    assertGroups(s, false);
    // the token-weighted loss is the one without groups
    JsonNode plain = evaluate(data.resolve("in5"), out.resolve("plain"), "--id-col", "id");
    assertThat(s.at("/loss/mean").doubleValue()).isEqualTo(plain.at("/loss/mean").doubleValue());
    assertThat(s.at("/groups/mean_loss").doubleValue())
        .isNotEqualTo(s.at("/loss/mean").doubleValue());
  }

  @Test
  void integerGroupsAndWeightsToo(@TempDir Path out) throws IOException {
    JsonNode s = evaluate(data.resolve("in5"), out.resolve("w"), "--id-col", "id",
        "--group-col", "seq", "--weight-col", "w");
    assertEnginesAgree(s, out, List.of(data.resolve("in1")), "--id-col", "id", "--group-col",
        "seq", "--weight-col", "w");
    assertGroups(s, true);
    // with a bootstrap, a group's tokens share its bucket
    JsonNode b = evaluate(data.resolve("in5"), out.resolve("b"), "--id-col", "id",
        "--group-col", "seq", "--bootstrap", "50");
    assertThat(b.at("/loss/mean_ci").size()).isEqualTo(2);
  }

  @Test
  void badGroupColumnsAreOneSentence() {
    String in = data.resolve("in1").toString();
    assertBadInput(run("evaluate", "--input", in, "--group-col", "nope"), "nope",
        "--group-col");
    assertBadInput(run("evaluate", "--input", in, "--group-col", "score"), "score", "double");
    assertBadInput(run("evaluate", "--input", in, "--group-col", "doc", "--no-label"),
        "--group-col", "label");
  }
}
