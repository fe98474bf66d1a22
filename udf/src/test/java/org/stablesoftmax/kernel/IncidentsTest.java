package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import ch.obermuhlner.math.big.BigDecimalMath;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Instability incidents against a real naive computation: in float32 with Java's float
 * arithmetic, in float64 with double arithmetic, and in float16 and bfloat16 with the tests' own
 * rounding emulation ({@link SmallFloats}); and the data incidents.
 */
class IncidentsTest {

  private static final int NAIVE = IncidentKind.NAIVE_FAILURES;

  /** What the naive computation did to one row. */
  record Naive(double sum, double labelProbability, double loss) {}

  /** The naive softmax and loss, op by op in the dtype. */
  static Naive naive(double[] x, int label, double t, NaiveDtype dtype) {
    switch (dtype) {
      case FLOAT32: {
        float s = 0f;
        float ey = 0f;
        for (int i = 0; i < x.length; i++) {
          float z = (float) x[i];
          if (t != 1.0) {
            z = z / (float) t;
          }
          float e = (float) Math.exp(z);
          s += e;
          if (i == label) {
            ey = e;
          }
        }
        float p = ey / s;
        return new Naive(s, p, (float) -Math.log(p));
      }
      case FLOAT64: {
        double s = 0.0;
        double ey = 0.0;
        for (int i = 0; i < x.length; i++) {
          double e = Math.exp(t != 1.0 ? x[i] / t : x[i]);
          s += e;
          if (i == label) {
            ey = e;
          }
        }
        double p = ey / s;
        return new Naive(s, p, -Math.log(p));
      }
      default: {
        DoubleUnaryOperator r = dtype == NaiveDtype.FLOAT16
            ? SmallFloats.FLOAT16::round : SmallFloats.BFLOAT16::round;
        double s = 0.0;
        double ey = 0.0;
        for (int i = 0; i < x.length; i++) {
          double z = r.applyAsDouble(x[i]);
          if (t != 1.0) {
            z = r.applyAsDouble(z / r.applyAsDouble(t));
          }
          double e = r.applyAsDouble(Math.exp(z));
          s = r.applyAsDouble(s + e);
          if (i == label) {
            ey = e;
          }
        }
        double p = r.applyAsDouble(ey / s);
        return new Naive(s, p, r.applyAsDouble(-Math.log(p)));
      }
    }
  }

  static Stream<Arguments> rowsAndDtypes() {
    List<Rows.Case> rows = new ArrayList<>(Rows.generated(KernelAccuracyTest.SEED, 2000));
    rows.addAll(Rows.crafted().subList(0, Rows.crafted().size() - 2)); // not the 131072 ones
    rows.addAll(thresholdRows());
    List<Arguments> args = new ArrayList<>();
    for (NaiveDtype dtype : NaiveDtype.values()) {
      args.add(Arguments.of(dtype, rows));
    }
    return args.stream();
  }

  /** Rows whose naive results sit on either side of each dtype's thresholds. */
  static List<Rows.Case> thresholdRows() {
    List<Rows.Case> rows = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(5);
    for (NaiveDtype d : NaiveDtype.values()) {
      double over = d.logMax();
      double under = d.logHalfMinSubnormal();
      for (int j = 0; j < 200; j++) {
        double shift = rng.nextDouble(-0.05, 0.05) * Math.abs(over);
        double[] x = {over + shift, over + shift - rng.nextDouble(0, 3), rng.nextDouble(-5, 0)};
        rows.add(new Rows.Case("overflow " + d + " #" + j, x, 2, 1.0));
        double[] y = {under + rng.nextDouble(-2, 2), under - rng.nextDouble(0, 3)};
        rows.add(new Rows.Case("underflow " + d + " #" + j, y, 0, 1.0));
        double gap = -under + rng.nextDouble(-2, 2);
        double[] w = {0.0, -gap, rng.nextDouble(-1, 0)};
        rows.add(new Rows.Case("target " + d + " #" + j, w, 1, 1.0));
      }
    }
    return rows;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rowsAndDtypes")
  void naiveFailureFlagsMatchTheNaiveComputation(NaiveDtype dtype, List<Rows.Case> rows) {
    SoftmaxRow row = new SoftmaxRow();
    int[] seen = new int[3];
    for (Rows.Case c : rows) {
      Naive n = naive(c.x(), c.label(), c.temperature(), dtype);
      int bits = row.analyze(c.x(), 0, c.x().length, c.temperature())
          .incidents(c.label(), dtype);
      String what = dtype + " on " + c + ": naive S=" + n.sum() + " p=" + n.labelProbability()
          + " loss=" + n.loss() + ", flags " + IncidentKind.decode(bits);
      boolean overflow = n.sum() == Double.POSITIVE_INFINITY;
      boolean underflow = n.sum() == 0.0;
      boolean target = !overflow && !underflow && n.labelProbability() == 0.0;
      assertThat(IncidentKind.NAIVE_OVERFLOW.in(bits)).as(what).isEqualTo(overflow);
      assertThat(IncidentKind.NAIVE_UNDERFLOW.in(bits)).as(what).isEqualTo(underflow);
      assertThat(IncidentKind.NAIVE_TARGET_UNDERFLOW.in(bits)).as(what).isEqualTo(target);
      assertThat((bits & NAIVE) != 0).as(what).isEqualTo(!Double.isFinite(n.loss()));
      seen[0] += overflow ? 1 : 0;
      seen[1] += underflow ? 1 : 0;
      seen[2] += target ? 1 : 0;
    }
    // each kind of failure occurred, and so did success
    assertThat(seen[0]).as("%s overflow rows", dtype).isGreaterThan(10);
    assertThat(seen[1]).as("%s underflow rows", dtype).isGreaterThan(10);
    assertThat(seen[2]).as("%s target-underflow rows", dtype).isGreaterThan(10);
  }

  @ParameterizedTest
  @EnumSource(NaiveDtype.class)
  void saturatedMeansTheTopProbabilityRoundsToOne(NaiveDtype dtype) {
    SoftmaxRow row = new SoftmaxRow();
    SplittableRandom rng = new SplittableRandom(11);
    int saturated = 0;
    for (int j = 0; j < 2000; j++) {
      double gap = rng.nextDouble(0, 60);
      double[] x = {0.0, -gap, -gap - rng.nextDouble(0, 5)};
      // s = the sum of the others' exp; the top probability 1/(1+s) rounds to 1 in a format
      // of p bits exactly when s <= 2^-(p+1) / (1 - 2^-(p+1)) (the tie goes to 1.0, even)
      double s = Math.exp(x[1]) + Math.exp(x[2]);
      double half = Math.scalb(1.0, -(dtype.precision() + 1));
      boolean expected = s <= half / (1 - half);
      if (Math.abs(s / (half / (1 - half)) - 1) < 1e-9) {
        continue; // too close to call with a double s
      }
      int bits = row.analyze(x, 0, 3, 1.0).incidents(0, dtype);
      assertThat(IncidentKind.SATURATED.in(bits)).as("%s on gap %s", dtype, gap)
          .isEqualTo(expected);
      saturated += expected ? 1 : 0;
    }
    assertThat(saturated).isBetween(10, 1990);
  }

  /** Rows whose exact top probability is 1: one class, or one class not masked by -inf. */
  static List<Rows.Case> loneClassRows() {
    double m = Double.NEGATIVE_INFINITY;
    List<Rows.Case> rows = new ArrayList<>();
    for (double v : new double[] {0.0, 1.0, -3.5, 88.0, 89.0, 100.0, 1000.0, -100.0, -104.0,
        -1000.0, 1e300, -1e300, Double.MIN_VALUE}) {
      rows.add(new Rows.Case("[" + v + "]", new double[] {v}, 0, 1.0));
      rows.add(new Rows.Case("[" + v + "] T=0.01", new double[] {v}, 0, 0.01));
      rows.add(new Rows.Case("[-inf, " + v + ", -inf]", new double[] {m, v, m}, 1, 1.0));
      rows.add(new Rows.Case("[" + v + ", -inf x 20]", withMasked(v, 0, 21), 0, 1.0));
      rows.add(new Rows.Case("[-inf x 20, " + v + "]", withMasked(v, 20, 21), 20, 1.0));
    }
    return rows;
  }

  private static double[] withMasked(double v, int at, int len) {
    double[] x = new double[len];
    Arrays.fill(x, Double.NEGATIVE_INFINITY);
    x[at] = v;
    return x;
  }

  @ParameterizedTest
  @EnumSource(NaiveDtype.class)
  void aRowWithOneUnmaskedClassIsNeverSaturatedButKeepsItsNaiveFailures(NaiveDtype dtype) {
    SoftmaxRow row = new SoftmaxRow();
    int failing = 0;
    for (Rows.Case c : loneClassRows()) {
      // the naive computation, without -inf terms (they add exp(-inf) = 0)
      Naive n = naive(c.x(), c.label(), c.temperature(), dtype);
      int bits = row.analyze(c.x(), 0, c.x().length, c.temperature())
          .incidents(c.label(), dtype);
      String what = dtype + " on " + c + ": naive S=" + n.sum() + " p=" + n.labelProbability()
          + ", flags " + IncidentKind.decode(bits);
      assertThat(IncidentKind.SATURATED.in(bits)).as(what).isFalse();
      boolean overflow = n.sum() == Double.POSITIVE_INFINITY;
      boolean underflow = n.sum() == 0.0;
      assertThat(IncidentKind.NAIVE_OVERFLOW.in(bits)).as(what).isEqualTo(overflow);
      assertThat(IncidentKind.NAIVE_UNDERFLOW.in(bits)).as(what).isEqualTo(underflow);
      assertThat(IncidentKind.NAIVE_TARGET_UNDERFLOW.in(bits)).as(what).isFalse();
      // nothing else: the label is the lone class
      assertThat(bits & ~NAIVE).as(what).isZero();
      failing += overflow || underflow ? 1 : 0;
    }
    assertThat(failing).as("%s rows whose naive softmax fails", dtype).isGreaterThan(5);
  }

  @Test
  void aLoneClassOfLogit1000StillOverflowsInFloat32() {
    assertThat(kinds(new double[] {1000}, 0, 1.0, NaiveDtype.FLOAT32))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW);
    assertThat(kinds(new double[] {-1000}, 0, 1.0, NaiveDtype.FLOAT32))
        .containsExactly(IncidentKind.NAIVE_UNDERFLOW);
    assertThat(kinds(new double[] {5}, 0, 1.0, NaiveDtype.FLOAT32)).isEmpty();
    assertThat(kinds(new double[] {Double.NEGATIVE_INFINITY, 5}, SoftmaxRow.NO_LABEL, 1.0,
        NaiveDtype.BFLOAT16)).isEmpty();
  }

  /** Significand bits of each dtype, written out here rather than read from the product. */
  private static int significandBits(NaiveDtype dtype) {
    switch (dtype) {
      case FLOAT32: return 24;
      case FLOAT64: return 53;
      case FLOAT16: return 11;
      default: return 8;
    }
  }

  /**
   * Whether the exact top probability {@code 1 / (1 + s)} of a row of finite and {@code -inf}
   * logits, with at least two finite ones, rounds to 1.0 in a format of {@code p} significand
   * bits: the neighbour below 1 is {@code 1 - 2^-p}, so it does when {@code 1 / (1 + s) >= 1 -
   * 2^-(p+1)} (the tie goes to 1.0, the even one). Decided in 50 digits with big-math.
   */
  private static boolean exactTopProbabilityRoundsToOne(double[] x, int p) {
    MathContext mc = Reference.MC;
    double a = Double.NEGATIVE_INFINITY;
    int k = -1;
    for (int i = 0; i < x.length; i++) {
      if (x[i] > a) {
        a = x[i];
        k = i;
      }
    }
    BigDecimal s = BigDecimal.ZERO;
    for (int i = 0; i < x.length; i++) {
      if (i != k && x[i] != Double.NEGATIVE_INFINITY) {
        BigDecimal z = new BigDecimal(x[i]).subtract(new BigDecimal(a));
        s = s.add(BigDecimalMath.exp(z, mc), mc);
      }
    }
    BigDecimal top = BigDecimal.ONE.divide(BigDecimal.ONE.add(s), mc);
    BigDecimal half = new BigDecimal(Math.scalb(1.0, -(p + 1)));
    return top.compareTo(BigDecimal.ONE.subtract(half)) >= 0;
  }

  @ParameterizedTest
  @EnumSource(NaiveDtype.class)
  void twoUnmaskedClassesSaturateExactlyWhenTheTopProbabilityRoundsToOne(NaiveDtype dtype) {
    int p = significandBits(dtype);
    // the gap g at which 1 / (1 + e^-g) = 1 - 2^-(p+1): about (p + 1) ln 2
    double edge = (p + 1) * Math.log(2);
    SoftmaxRow row = new SoftmaxRow();
    SplittableRandom rng = new SplittableRandom(23);
    double m = Double.NEGATIVE_INFINITY;
    int saturated = 0;
    int rows = 0;
    for (int j = 0; j < 1500; j++) {
      double gap = edge + rng.nextDouble(-3, 3);
      double top = rng.nextDouble(-20, 20);
      double[][] cases = {
          {top, top - gap},
          {top - gap, top},
          {m, top, m, top - gap, m},
      };
      for (double[] x : cases) {
        boolean expected = exactTopProbabilityRoundsToOne(x, p);
        int bits = row.analyze(x, 0, x.length, 1.0).incidents(SoftmaxRow.NO_LABEL, dtype);
        assertThat(IncidentKind.SATURATED.in(bits))
            .as("%s on %s (gap %s)", dtype, Arrays.toString(x), gap)
            .isEqualTo(expected);
        saturated += expected ? 1 : 0;
        rows++;
      }
    }
    // both sides of the edge were seen
    assertThat(saturated).as("%s saturated rows of %d", dtype, rows).isBetween(500, rows - 500);
  }

  @Test
  void theSeedArticlesRows() {
    assertThat(kinds(new double[] {1000, 1001, 1002}, 0, 1.0, NaiveDtype.FLOAT32))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW);
    assertThat(kinds(new double[] {1000, 1001, 1002}, 0, 1.0, NaiveDtype.FLOAT64))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW);
    assertThat(kinds(new double[] {-1000, -1001, -1002}, 0, 1.0, NaiveDtype.FLOAT32))
        .containsExactly(IncidentKind.NAIVE_UNDERFLOW);
    assertThat(kinds(new double[] {10, 2, 10000, 4}, 2, 1.0, NaiveDtype.FLOAT32))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW, IncidentKind.SATURATED);
    assertThat(kinds(new double[] {1000, 1, -1000}, 2, 1.0, NaiveDtype.FLOAT64))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW, IncidentKind.SATURATED);
    assertThat(kinds(new double[] {100, 1, -1000}, 2, 1.0, NaiveDtype.FLOAT64))
        .containsExactly(IncidentKind.NAIVE_TARGET_UNDERFLOW, IncidentKind.SATURATED);
    assertThat(kinds(new double[] {38, 20, 40, 39}, 2, 0.001, NaiveDtype.FLOAT32))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW, IncidentKind.SATURATED);
    assertThat(kinds(new double[] {38, 20, 40, 39}, 2, 1.0, NaiveDtype.FLOAT32)).isEmpty();
    assertThat(kinds(new double[] {38, 20, 40, 39}, 2, 1.0, NaiveDtype.FLOAT16))
        .containsExactly(IncidentKind.NAIVE_OVERFLOW);
    assertThat(kinds(new double[] {38, 20, 40, 39}, 2, 100.0, NaiveDtype.FLOAT16)).isEmpty();
  }

  @Test
  void dataIncidents() {
    NaiveDtype f = NaiveDtype.FLOAT32;
    double nan = Double.NaN;
    double inf = Double.POSITIVE_INFINITY;
    assertThat(kinds(new double[0], 0, 1.0, f)).containsExactly(IncidentKind.EMPTY_LOGITS);
    assertThat(kinds(new double[] {1, nan, inf}, 0, 1.0, f))
        .containsExactly(IncidentKind.NAN_LOGIT, IncidentKind.POS_INF_LOGIT);
    assertThat(kinds(new double[] {1, nan}, 0, 1.0, f)).containsExactly(IncidentKind.NAN_LOGIT);
    assertThat(kinds(new double[] {-inf, -inf}, 0, 1.0, f))
        .containsExactly(IncidentKind.ALL_MASKED, IncidentKind.TARGET_MASKED);
    assertThat(kinds(new double[] {-inf, -inf}, SoftmaxRow.NO_LABEL, 1.0, f))
        .containsExactly(IncidentKind.ALL_MASKED);
    assertThat(kinds(new double[] {1, 2}, 2, 1.0, f))
        .containsExactly(IncidentKind.LABEL_OUT_OF_RANGE);
    assertThat(kinds(new double[] {1, 2}, -1, 1.0, f))
        .containsExactly(IncidentKind.LABEL_OUT_OF_RANGE);
    // the only unmasked class holds probability exactly 1: not saturated
    assertThat(kinds(new double[] {1, -inf}, 1, 1.0, f))
        .containsExactly(IncidentKind.TARGET_MASKED);
    assertThat(kinds(new double[] {1, 2}, 0, 1.0, f)).isEmpty();
    int bits = new SoftmaxRow().analyze(new double[] {1, 2}, 0, 2, 1.0).incidents(0, f, 3);
    assertThat(IncidentKind.decode(bits)).containsExactly(IncidentKind.CLASS_COUNT_MISMATCH);
    assertThat(IncidentKind.names(bits)).containsExactly("CLASS_COUNT_MISMATCH");
  }

  @Test
  void floatRowsGetTheSameIncidentsAsTheirDoubles() {
    for (Rows.Case c : Rows.generated(99, 500)) {
      float[] f = KernelAccuracyTest.toFloat(c.x());
      double[] asDouble = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        asDouble[i] = f[i];
      }
      for (NaiveDtype dtype : NaiveDtype.values()) {
        assertThat(StableSoftmax.incidents(f, c.label(), c.temperature(), dtype))
            .as("%s %s", c, dtype)
            .isEqualTo(StableSoftmax.incidents(asDouble, c.label(), c.temperature(), dtype));
      }
    }
  }

  private static List<IncidentKind> kinds(double[] x, int label, double t, NaiveDtype dtype) {
    return IncidentKind.decode(StableSoftmax.incidents(x, label, t, dtype));
  }
}
