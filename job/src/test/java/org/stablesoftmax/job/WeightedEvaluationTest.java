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
import java.nio.file.Files;
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
 * {@code --weight-col}, {@code --class-weights} and {@code --label-smoothing}: every mean as
 * scikit-learn's {@code sample_weight} and PyTorch's weighted, smoothed cross-entropy define it,
 * from the kernel's per-row values summed exactly here (BigDecimal); bad weights counted as
 * {@code BAD_WEIGHT}; zero weights change nothing; both engines and any partitioning agree.
 */
class WeightedEvaluationTest extends SparkTestBase {

  private static final int ROWS = 900;
  private static final int CLASSES = 6;
  private static final double[] CLASS_WEIGHTS = {1, 2, 0.5, 1, 3, 0.25};
  private static final String WEIGHTS = "1,2,0.5,1,3,0.25";
  private static final double EPS = 0.1;

  @TempDir
  static Path data;
  private static final List<Row> ROWS_WRITTEN = new ArrayList<>();

  private static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType)
      .add("label", DataTypes.IntegerType)
      .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, false))
      .add("w", DataTypes.DoubleType, true)
      .add("name", DataTypes.StringType);

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(9);
    for (long id = 0; id < ROWS; id++) {
      double[] x = new double[id % 50 == 3 ? CLASSES + 1 : CLASSES]; // some rows of 7 classes
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextGaussian() * (1 + id % 5);
      }
      Double w = switch ((int) (id % 23)) {
        case 0 -> null;
        case 1 -> -0.5;
        case 2 -> Double.NaN;
        case 3 -> Double.POSITIVE_INFINITY;
        case 4, 5 -> 0.0;
        default -> rng.nextDouble() * 3;
      };
      int label = rng.nextInt(CLASSES + 1) == CLASSES ? 0 : rng.nextInt(CLASSES);
      ROWS_WRITTEN.add(RowFactory.create(id, label, x, w, "n" + id));
    }
    for (int parts : new int[] {1, 3}) {
      spark().createDataFrame(ROWS_WRITTEN, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("in" + parts).toString());
    }
    // the same rows without those of weight 0
    spark().createDataFrame(ROWS_WRITTEN.stream().filter(r -> r.isNullAt(3)
        || r.getDouble(3) != 0.0).toList(), SCHEMA).write()
        .parquet(data.resolve("nonzero").toString());
    spark().createDataFrame(ROWS_WRITTEN.stream().map(r -> RowFactory.create(r.get(0), r.get(1),
        r.get(2), 0.0, r.get(4))).toList(), SCHEMA).write()
        .parquet(data.resolve("zeros").toString());
  }

  private static boolean badWeight(Row r) {
    return r.isNullAt(3) || !(r.getDouble(3) >= 0 && r.getDouble(3) < Double.POSITIVE_INFINITY);
  }

  @Test
  void everyMeanIsTheWeightedOneOfThePeers(@TempDir Path out) throws IOException {
    String[] opts = {"--id-col", "id", "--weight-col", "w", "--class-weights", WEIGHTS,
        "--label-smoothing", Double.toString(EPS)};
    JsonNode s = evaluate(data.resolve("in3"), out.resolve("a3"), opts);
    assertEnginesAgree(s, out, List.of(data.resolve("in1"), data.resolve("in3")), opts);

    CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(EPS)
        .classWeights(CLASS_WEIGHTS);
    BigDecimal lossNum = BigDecimal.ZERO;
    BigDecimal lossDen = BigDecimal.ZERO;
    BigDecimal weight = BigDecimal.ZERO;
    BigDecimal correct = BigDecimal.ZERO;
    BigDecimal brier = BigDecimal.ZERO;
    long bad = 0;
    long mismatch = 0;
    CalibrationReference calibration = new CalibrationReference(15);
    SoftmaxRow row = new SoftmaxRow();
    for (Row r : ROWS_WRITTEN) {
      double[] x = (double[]) r.get(2);
      if (x.length != CLASSES) {
        mismatch++;
        continue;
      }
      if (badWeight(r)) {
        bad++;
        continue;
      }
      int y = r.getInt(1);
      BigDecimal sw = new BigDecimal(r.getDouble(3));
      row.analyze(x, 0, x.length, 1.0);
      // PyTorch's smoothed, class-weighted loss of the row, as the kernel computes it
      double loss = StableSoftmax.crossEntropy(x, y, 1.0, o);
      lossNum = lossNum.add(sw.multiply(new BigDecimal(loss)));
      lossDen = lossDen.add(sw.multiply(new BigDecimal(CLASS_WEIGHTS[y])));
      weight = weight.add(sw);
      boolean top1 = row.argmax() == y;
      correct = top1 ? correct.add(sw) : correct;
      brier = brier.add(sw.multiply(new BigDecimal(row.brier(y))));
      calibration.add(row.maxProbability(), top1, r.getDouble(3));
    }
    // each figure: its two exact sums, each rounded once, divided
    assertThat(s.at("/loss/mean").doubleValue())
        .isEqualTo(lossNum.doubleValue() / lossDen.doubleValue());
    assertThat(s.at("/metrics/accuracy").doubleValue())
        .isEqualTo(correct.doubleValue() / weight.doubleValue());
    assertThat(s.at("/metrics/brier").doubleValue())
        .isEqualTo(brier.doubleValue() / weight.doubleValue());
    EvaluateCommandTest.assertCalibration(s, calibration, 8 * Math.ulp(1.0));
    assertThat(s.at("/rows/skipped_by_reason/bad_weight").asLong()).isEqualTo(bad);
    assertThat(s.at("/rows/skipped_by_reason/class_count_mismatch").asLong())
        .isEqualTo(mismatch);
    assertThat(s.at("/incidents/counts/BAD_WEIGHT").asLong())
        .isEqualTo(ROWS_WRITTEN.stream().filter(WeightedEvaluationTest::badWeight).count());
    assertThat(s.at("/incidents/examples/BAD_WEIGHT").get(0).asLong()).isEqualTo(0);
    assertThat(s.at("/rows/weight").doubleValue()).isEqualTo(weight.doubleValue());
    assertThat(s.at("/options/class_weights").asText()).isEqualTo(WEIGHTS);
  }

  @Test
  void classWeightsAloneArePyTorchsWeightedMean(@TempDir Path out) throws IOException {
    Path file = out.resolve("weights.txt");
    Files.writeString(file, String.join("\n", WEIGHTS.split(",")) + "\n\n");
    JsonNode s = evaluate(data.resolve("in1"), out.resolve("e"), "--class-weights", "@" + file);
    // the kernel's own mean: PyTorch's sum(w_y loss) / sum(w_y), over the 6-class rows
    List<double[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (Row r : ROWS_WRITTEN) {
      double[] x = (double[]) r.get(2);
      if (x.length == CLASSES) {
        rows.add(x);
        labels.add(r.getInt(1));
      }
    }
    double[] flat = new double[rows.size() * CLASSES];
    int[] offsets = new int[rows.size() + 1];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, flat, i * CLASSES, CLASSES);
      offsets[i + 1] = (i + 1) * CLASSES;
    }
    double pytorch = StableSoftmax.meanCrossEntropy(flat, offsets, rows.size(),
        labels.stream().mapToInt(Integer::intValue).toArray(), 1.0,
        CrossEntropyOptions.DEFAULT.classWeights(CLASS_WEIGHTS), new SoftmaxRow());
    assertThat(s.at("/loss/mean").doubleValue()).isCloseTo(pytorch, within(4 * Math.ulp(pytorch)));
    assertThat(s.at("/options/class_weights").asText()).isEqualTo("@" + file);
  }

  @Test
  void zeroWeightsChangeNoMeanAndAllZeroGivesNone(@TempDir Path out) throws IOException {
    JsonNode all = evaluate(data.resolve("in1"), out.resolve("all"), "--weight-col", "w");
    JsonNode nonzero = evaluate(data.resolve("nonzero"), out.resolve("nz"), "--weight-col",
        "w");
    for (String f : new String[] {"/loss/mean", "/metrics/accuracy", "/metrics/top_k_accuracy",
        "/metrics/brier", "/metrics/ece", "/metrics/adaptive_ece", "/metrics/mean_entropy",
        "/rows/weight"}) {
      assertThat(all.at(f).doubleValue()).as(f).isEqualTo(nonzero.at(f).doubleValue());
    }
    assertThat(all.at("/rows/evaluated").asLong()).isGreaterThan(
        nonzero.at("/rows/evaluated").asLong());
    JsonNode zeros = evaluate(data.resolve("zeros"), out.resolve("z"), "--weight-col", "w");
    assertThat(zeros.at("/rows/evaluated").asLong()).isPositive();
    for (String f : new String[] {"/loss/mean", "/metrics/accuracy", "/metrics/brier",
        "/metrics/ece", "/metrics/adaptive_ece"}) {
      assertThat(zeros.at(f).isNull()).as(f + ": a mean of no weight").isTrue();
    }
  }

  @Test
  void badWeightOptionsAreOneSentence(@TempDir Path tmp) throws IOException {
    String in = data.resolve("in1").toString();
    assertBadInput(run("evaluate", "--input", in, "--weight-col", "nope"), "nope",
        "--weight-col");
    assertBadInput(run("evaluate", "--input", in, "--weight-col", "name"), "name", "string");
    assertBadInput(run("evaluate", "--input", in, "--class-weights", "1,x,2"), "'x'",
        "entry 2");
    assertBadInput(run("evaluate", "--input", in, "--class-weights", "@" + tmp.resolve("no")),
        "does not exist");
    assertBadInput(run("evaluate", "--input", in, "--label-smoothing", "1.5"),
        "--label-smoothing");
  }
}
