package org.stablesoftmax.transform;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stablesoftmax.arrow.ArrowMemory;
import org.stablesoftmax.job.Main;
import org.stablesoftmax.job.NaiveLoop;
import org.stablesoftmax.kernel.Bounds;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.Reference;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * Every output column of {@code stablesoftmax transform}, run as a command on Parquet files
 * written here (seeded generated rows and crafted ones, float and double input, at T = 0.7 and
 * T = 3, both engines), against values computed here from the stored logits: the numbers against
 * exact values (big-math, 50 digits: the kernel tests' {@link Reference}) within the kernel's
 * bounds ({@link Bounds}, in ulps), the indices against a plain ranking, the incidents against
 * {@link NaiveLoop}. Bounds, per output:
 *
 * <ul>
 *   <li>softmax: {@link Bounds#SOFTMAX_ULPS} ulps per element for double input; float input gives
 *       float, within {@link Bounds#FLOAT_OUTPUT_ULPS} float ulps (rounded once from double);
 *   <li>log_softmax: {@link Bounds#LOG_SOFTMAX_ULPS}; float: as softmax;
 *   <li>logsumexp: {@link Bounds#LOGSUMEXP_ULPS} ulps of {@code max(|lse|, |max x / T|)};
 *   <li>loss: {@link Bounds#CROSS_ENTROPY_ULPS};
 *   <li>entropy: {@link Bounds#entropyUlps} of the row's width, where the exact entropy is at
 *       least {@link Bounds#ENTROPY_FLOOR};
 *   <li>max_probability: the softmax at the first argmax, {@code 1 / (1 + s)}: the softmax bound
 *       in double ulps (a double whatever the input);
 *   <li>prediction, top_k, incidents: exactly.
 * </ul>
 *
 * Masked classes are exactly 0 and {@code -inf}, a masked label's loss exactly {@code +inf}; rows
 * that have no exact value (null, empty, NaN, +inf, a null element, all {@code -inf}) have the
 * values of the kernel's table.
 */
class TransformAccuracyTest extends SparkTestBase {

  private static final long SEED = 20260612L;
  private static final int TOP_K = 4;
  private static final int[] WIDTHS = {1, 2, 7, 33, 1000};
  private static final String OUTPUTS = "softmax,log_softmax,logsumexp,loss,prediction,top_k,"
      + "entropy,max_probability,incidents";
  private static final double NEG_INF = Double.NEGATIVE_INFINITY;

  @TempDir
  static Path dir;

  /** A row of the input: logits null for null logits, an element null for a null element. */
  private record Case(long id, String name, Integer label, Double[] logits) {}

  private static final List<Case> CASES = new ArrayList<>();

  @BeforeAll
  void writeInputs() {
    generated();
    crafted();
    for (String type : new String[] {"float", "double"}) {
      DataType element = type.equals("float") ? DataTypes.FloatType : DataTypes.DoubleType;
      StructType schema = new StructType().add("id", DataTypes.LongType, false)
          .add("label", DataTypes.IntegerType, true)
          .add("logits", DataTypes.createArrayType(element, true), true);
      List<Row> rows = new ArrayList<>();
      for (Case c : CASES) {
        Object[] logits = null;
        if (c.logits() != null) {
          logits = type.equals("float")
              ? Arrays.stream(c.logits()).map(v -> v == null ? null : (float) (double) v)
                  .toArray()
              : c.logits();
        }
        rows.add(RowFactory.create(c.id(), c.label(), logits));
      }
      spark().createDataFrame(rows, schema).repartition(2).write()
          .parquet(dir.resolve(type).toString());
    }
  }

  @AfterEach
  void noArrowMemoryLeft() {
    ArrowMemory.assertNoneLeft();
  }

  // ------------------------------------------------------------------ the rows

  private static void add(String name, Integer label, double... x) {
    Double[] boxed = new Double[x.length];
    for (int i = 0; i < x.length; i++) {
      boxed[i] = x[i];
    }
    CASES.add(new Case(CASES.size(), name, label, boxed));
  }

  /**
   * Seeded rows of each width: narrow and wide gaussians, masked classes, magnitudes up to 1e4,
   * and a spread of a few units around +-1e4; labels anywhere, masked ones too.
   */
  private static void generated() {
    SplittableRandom rng = new SplittableRandom(SEED);
    String[] styles = {"narrow", "wide", "masked", "magnitudes", "offset"};
    for (int c : WIDTHS) {
      for (String style : styles) {
        for (int n = 0; n < (c >= 1000 ? 1 : 3); n++) {
          double[] x = new double[c];
          for (int i = 0; i < c; i++) {
            switch (style) {
              case "narrow":
                x[i] = rng.nextGaussian();
                break;
              case "wide":
                x[i] = 30 * rng.nextGaussian();
                break;
              case "masked":
                x[i] = rng.nextDouble() < 0.3 ? NEG_INF : 3 * rng.nextGaussian();
                break;
              case "magnitudes":
                x[i] = rng.nextDouble(-1, 1) * Math.pow(10, rng.nextDouble(0, 4));
                break;
              default:
                x[i] = (n % 2 == 0 ? 1e4 : -1e4) + rng.nextDouble(-4, 4);
                break;
            }
          }
          if (style.equals("masked")) {
            x[rng.nextInt(c)] = 1.5; // one class at least stays
          }
          add(style + " C=" + c + " #" + n, rng.nextInt(c), x);
        }
      }
    }
  }

  /** The seed articles' rows, ties, signed zeros, the naive float32 failures, edge rows. */
  private static void crafted() {
    add("[1000,1001,1002]", 0, 1000, 1001, 1002);
    add("[10,2,10000,4]", 0, 10, 2, 10000, 4);
    add("[1000,1,-1000] label 2", 2, 1000, 1, -1000);
    add("[-1000,-1001,-1002]", 2, -1000, -1001, -1002);
    add("[38,20,40,39]", 2, 38, 20, 40, 39);
    add("ties", 3, 5, 5, 5, 5, 5);
    add("signed zeros", 1, -0.0, 0.0, -0.0);
    add("naive overflow", 0, 89, 88, 0);
    add("naive underflow", 0, -110, -120, -105);
    add("naive target underflow", 1, 0, -200);
    add("saturated", 0, 0, -20, -25);
    add("almost saturated", 0, 0, -15);
    add("masked label", 1, 1, NEG_INF, 2);
    add("single", 0, 3.25);
    add("one class unmasked", 1, NEG_INF, 7, NEG_INF);
    add("near FLT_MAX", 1, 3e38, -3e38, 1e38);
    add("subnormal floats", 2, 1e-40, -1e-40, 0);
    add("+-1e4 dominant", 3, 1e4, -1e4, 0, 9999.5);
    add("null label", null, 1, 2, 3);
    add("label out of range", 5, 1, 2);
    add("negative label", -1, 1, 2);
    add("all masked", 0, NEG_INF, NEG_INF);
    add("NaN", 0, 1, Double.NaN, 2);
    add("+inf", 0, 1, Double.POSITIVE_INFINITY, 2);
    add("-inf and NaN", 1, NEG_INF, Double.NaN);
    add("empty", 0);
    CASES.add(new Case(CASES.size(), "null element", 0, new Double[] {1.0, null, 2.0}));
    CASES.add(new Case(CASES.size(), "null logits", 0, null));
  }

  // ------------------------------------------------------------------ the test

  /** The largest errors of one run, per output. */
  private static final class Errors {
    final Bounds.Worst softmax = new Bounds.Worst();
    final Bounds.Worst logSoftmax = new Bounds.Worst();
    final Bounds.Worst logSumExp = new Bounds.Worst();
    final Bounds.Worst loss = new Bounds.Worst();
    final Bounds.Worst maxProbability = new Bounds.Worst();
    /** By width: the bound depends on it. */
    final Map<Integer, Bounds.Worst> entropy = new TreeMap<>();

    /** Every output within its bound; else one message naming each output that is not. */
    void assertWithinBounds(String run, boolean isFloat) {
      double sm = isFloat ? Bounds.FLOAT_OUTPUT_ULPS : Bounds.SOFTMAX_ULPS;
      double ls = isFloat ? Bounds.FLOAT_OUTPUT_ULPS : Bounds.LOG_SOFTMAX_ULPS;
      String unit = isFloat ? " (float ulps)" : "";
      List<Runnable> checks = new ArrayList<>(List.of(
          () -> softmax.assertAtMost(run + ": softmax" + unit, sm),
          () -> logSoftmax.assertAtMost(run + ": log_softmax" + unit, ls),
          () -> logSumExp.assertAtMost(run + ": logsumexp", Bounds.LOGSUMEXP_ULPS),
          () -> loss.assertAtMost(run + ": loss", Bounds.CROSS_ENTROPY_ULPS),
          () -> maxProbability.assertAtMost(run + ": max_probability", Bounds.SOFTMAX_ULPS)));
      entropy.forEach((c, w) -> checks.add(
          () -> w.assertAtMost(run + ": entropy, C=" + c, Bounds.entropyUlps(c))));
      List<String> failed = new ArrayList<>();
      for (Runnable check : checks) {
        try {
          check.run();
        } catch (AssertionError e) {
          failed.add(e.getMessage());
        }
      }
      assertThat(failed).as("outputs out of bounds").isEmpty();
    }

    String summary() {
      return String.format("softmax %.3g, log_softmax %.3g, logsumexp %.3g, loss %.3g,"
          + " entropy %.3g, max_probability %.3g", softmax.ulps(), logSoftmax.ulps(),
          logSumExp.ulps(), loss.ulps(), entropy.values().stream()
              .mapToDouble(Bounds.Worst::ulps).max().orElse(-1), maxProbability.ulps());
    }
  }

  @ParameterizedTest(name = "{0} input, T = {1}")
  @CsvSource({"float, 0.7", "float, 3", "double, 0.7", "double, 3"})
  void everyOutputOfBothEnginesIsWithinTheKernelsBounds(String type, double t) {
    boolean isFloat = type.equals("float");
    Path input = dir.resolve(type);
    // the rows as stored, by id, and their exact values at T
    Map<Long, Row> stored = new HashMap<>();
    for (Row r : spark().read().parquet(input.toString()).collectAsList()) {
      stored.put(r.getLong(0), r);
    }
    Map<Long, Reference> refs = new HashMap<>();
    Set<IncidentKind> kinds = EnumSet.noneOf(IncidentKind.class);
    stored.forEach((id, r) -> {
      double[] x = exactValues(r);
      if (x != null) {
        refs.put(id, new Reference(x, t));
      }
      kinds.addAll(NaiveLoop.incidents(logits(r), r.isNullAt(1) ? null : r.getInt(1), true));
    });
    // the rows hold every kind the transform can report (it has no class weights, no weight
    // column, no probabilities and no soft targets)
    assertThat(kinds).containsAll(EnumSet.complementOf(EnumSet.of(
        IncidentKind.CLASS_COUNT_MISMATCH, IncidentKind.BAD_WEIGHT,
        IncidentKind.NOT_NORMALIZED, IncidentKind.BAD_TARGET)));
    for (String engine : new String[] {"arrow", "udf"}) {
      String run = type + " input, T = " + t + ", " + engine;
      Path out = dir.resolve("out-" + type + "-" + t + "-" + engine);
      assertThat(Main.run("transform", "--input", input.toString(), "--output", out.toString(),
          "--id-col", "id", "--outputs", OUTPUTS, "--temperature", Double.toString(t),
          "--top-k", Integer.toString(TOP_K), "--engine", engine, "--batch-bytes", "65536"))
          .as(run).isZero();
      Dataset<Row> written = spark().read().parquet(out.toString());
      for (String column : new String[] {"softmax", "log_softmax"}) {
        // float in, float out; double in, double out
        assertThat(((ArrayType) written.schema().apply(column).dataType()).elementType())
            .as("%s: %s's elements", run, column)
            .isEqualTo(isFloat ? DataTypes.FloatType : DataTypes.DoubleType);
      }
      List<Row> rows = written.collectAsList();
      assertThat(rows).as("%s: rows", run).hasSize(stored.size());
      Errors errors = new Errors();
      Set<Long> seen = new HashSet<>();
      for (Row o : rows) {
        long id = o.getLong(o.fieldIndex("id"));
        Row in = stored.get(id);
        assertThat(in).as("%s: id %d", run, id).isNotNull();
        assertThat(seen.add(id)).as("%s: id %d once", run, id).isTrue();
        check(run + ", row " + id + " (" + CASES.get((int) id).name() + ")", in, o,
            refs.get(id), t, isFloat, errors);
      }
      errors.assertWithinBounds(run, isFloat);
      System.out.println("worst ulps, " + run + ": " + errors.summary());
    }
  }

  /** The stored logits as exact doubles; null where no exact value is defined. */
  private static double[] exactValues(Row r) {
    List<? extends Number> list = logits(r);
    if (list == null || list.isEmpty()) {
      return null;
    }
    double[] x = new double[list.size()];
    boolean unmasked = false;
    for (int i = 0; i < x.length; i++) {
      if (list.get(i) == null) {
        return null;
      }
      x[i] = list.get(i).doubleValue();
      if (Double.isNaN(x[i]) || x[i] == Double.POSITIVE_INFINITY) {
        return null;
      }
      unmasked |= x[i] != NEG_INF;
    }
    return unmasked ? x : null;
  }

  private static List<? extends Number> logits(Row r) {
    return r.isNullAt(2) ? null : r.getList(2);
  }

  private static void check(String where, Row in, Row o, Reference ref, double t,
      boolean isFloat, Errors errors) {
    List<? extends Number> x = logits(in);
    Integer label = in.isNullAt(1) ? null : in.getInt(1);
    assertThat(label).as(where + ": label kept")
        .isEqualTo(o.isNullAt(o.fieldIndex("label")) ? null : o.getInt(o.fieldIndex("label")));
    List<String> incidents = o.getList(o.fieldIndex("incidents"));
    assertThat(incidents).as(where + ": incidents").containsExactlyElementsOf(
        NaiveLoop.incidents(x, label, true).stream().map(IncidentKind::name).toList());
    String[] values = {"softmax", "log_softmax", "logsumexp", "loss", "prediction", "top_k",
        "entropy", "max_probability"};
    if (x == null) {
      for (String v : values) {
        assertThat(o.isNullAt(o.fieldIndex(v))).as("%s: %s of null logits", where, v).isTrue();
      }
      return;
    }
    int c = x.size();
    // the order of top_k: NaN (a null element reads as NaN) first, larger, then lower index
    double[] v = new double[c];
    for (int i = 0; i < c; i++) {
      v[i] = x.get(i) == null ? Double.NaN : x.get(i).doubleValue();
    }
    int[] ranking = IntStream.range(0, c).boxed().sorted((i, j) -> {
      if (Double.isNaN(v[i]) != Double.isNaN(v[j])) {
        return Double.isNaN(v[i]) ? -1 : 1;
      }
      if (!Double.isNaN(v[i]) && v[i] != v[j]) {
        return v[i] > v[j] ? -1 : 1;
      }
      return Integer.compare(i, j);
    }).mapToInt(Integer::intValue).toArray();
    if (c == 0) {
      assertThat(o.isNullAt(o.fieldIndex("prediction"))).as(where + ": prediction").isTrue();
    } else {
      assertThat(o.getInt(o.fieldIndex("prediction"))).as(where + ": prediction")
          .isEqualTo(ranking[0]);
    }
    assertThat(o.<Integer>getList(o.fieldIndex("top_k"))).as(where + ": top_k")
        .containsExactlyElementsOf(Arrays.stream(ranking).limit(TOP_K).boxed().toList());
    List<? extends Number> sm = o.getList(o.fieldIndex("softmax"));
    List<? extends Number> ls = o.getList(o.fieldIndex("log_softmax"));
    assertThat(sm).as(where + ": softmax").hasSize(c);
    assertThat(ls).as(where + ": log_softmax").hasSize(c);
    boolean labelInRange = label != null && label >= 0 && label < c;
    double lse = o.getDouble(o.fieldIndex("logsumexp"));
    Double loss = o.isNullAt(o.fieldIndex("loss")) ? null : o.getDouble(o.fieldIndex("loss"));
    double entropy = o.getDouble(o.fieldIndex("entropy"));
    double maxP = o.getDouble(o.fieldIndex("max_probability"));
    if (label == null || (c > 0 && !labelInRange)) {
      assertThat(loss).as(where + ": loss without a label in range").isNull();
    } else {
      assertThat(loss).as(where + ": loss").isNotNull();
    }
    if (ref == null) {
      // the kernel's table: all NaN; logsumexp -inf for an empty or all-masked row, NaN with a
      // NaN (a null element reads as one), else +inf (a +inf, as torch.logsumexp)
      boolean noClass = c == 0 || v.length == Arrays.stream(v).filter(e -> e == NEG_INF).count();
      assertThat(sm).as(where + ": softmax").allMatch(e -> Double.isNaN(e.doubleValue()));
      assertThat(ls).as(where + ": log_softmax").allMatch(e -> Double.isNaN(e.doubleValue()));
      if (noClass) {
        assertThat(lse).as(where + ": logsumexp").isEqualTo(NEG_INF);
      } else if (Arrays.stream(v).anyMatch(Double::isNaN)) {
        assertThat(lse).as(where + ": logsumexp").isNaN();
      } else {
        assertThat(lse).as(where + ": logsumexp").isEqualTo(Double.POSITIVE_INFINITY);
      }
      if (loss != null) {
        assertThat(loss).as(where + ": loss").isNaN();
      }
      assertThat(entropy).as(where + ": entropy").isNaN();
      assertThat(maxP).as(where + ": max_probability").isNaN();
      return;
    }
    for (int i = 0; i < c; i++) {
      BigDecimal exactLs = ref.logSoftmax(i);
      double p = sm.get(i).doubleValue();
      double l = ls.get(i).doubleValue();
      if (exactLs == null) {
        assertThat(p).as("%s: softmax[%d] of a masked class", where, i).isEqualTo(0.0);
        assertThat(l).as("%s: log_softmax[%d] of a masked class", where, i).isEqualTo(NEG_INF);
        continue;
      }
      BigDecimal exactP = ref.softmax(i);
      errors.softmax.offer(where, i, p, exactP, isFloat ? Bounds.floatUlps((float) p, exactP)
          : Reference.ulps(p, exactP));
      errors.logSoftmax.offer(where, i, l, exactLs, isFloat ? Bounds.floatUlps((float) l, exactLs)
          : Reference.ulps(l, exactLs));
    }
    double max = Arrays.stream(v).max().getAsDouble();
    errors.logSumExp.offer(where, 0, lse, ref.logSumExp(), Bounds.logSumExpUlps(lse, ref, max / t));
    if (labelInRange) {
      BigDecimal exact = ref.crossEntropy(label);
      if (exact == null) {
        assertThat(loss).as(where + ": loss of a masked label").isEqualTo(Double.POSITIVE_INFINITY);
      } else {
        errors.loss.offer(where, label, loss, exact, Reference.ulps(loss, exact));
      }
    }
    BigDecimal exactH = ref.entropy();
    if (exactH.doubleValue() >= Bounds.ENTROPY_FLOOR) {
      errors.entropy.computeIfAbsent(c, k -> new Bounds.Worst())
          .offer(where, 0, entropy, exactH, Reference.ulps(entropy, exactH));
    }
    BigDecimal exactMaxP = ref.softmax(ranking[0]);
    errors.maxProbability.offer(where, ranking[0], maxP, exactMaxP,
        Reference.ulps(maxP, exactMaxP));
  }
}
