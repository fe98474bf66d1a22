package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Label smoothing, class weights, ignore index, soft targets, means, gradients, the Jacobian-
 * vector product, entropy, argmax and top-k: each as PyTorch defines it, against exact values.
 */
class CrossEntropyVariantsTest {

  private static final MathContext MC = Reference.MC;
  /** Rows of moderate size and shape from the accuracy tests' generator. */
  private static final List<Rows.Case> ROWS = Rows.generated(77, 300).stream()
      .filter(c -> c.x().length <= 300)
      .toList();

  @Test
  void labelSmoothingAndClassWeights() {
    SplittableRandom rng = new SplittableRandom(1);
    double worst = 0;
    for (Rows.Case c : ROWS) {
      int n = c.x().length;
      double eps = rng.nextInt(3) == 0 ? 0.0 : rng.nextDouble();
      double[] w = rng.nextBoolean() ? null : rng.doubles(n, 0.0, 3.0).toArray();
      CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(eps);
      if (w != null) {
        o = o.classWeights(w);
      }
      Reference ref = new Reference(c.x(), c.temperature());
      // (1 - eps) w_y l_y + eps / C sum_i w_i l_i
      BigDecimal smooth = BigDecimal.ZERO;
      boolean infinite = false;
      for (int i = 0; i < n; i++) {
        double wi = w == null ? 1.0 : w[i];
        BigDecimal li = ref.crossEntropy(i);
        if (wi == 0.0) {
          continue;
        }
        if (li == null) {
          infinite = true;
          continue;
        }
        smooth = smooth.add(new BigDecimal(wi).multiply(li, MC), MC);
      }
      double wy = w == null ? 1.0 : w[c.label()];
      BigDecimal exact = BigDecimal.ONE.subtract(new BigDecimal(eps))
          .multiply(new BigDecimal(wy), MC).multiply(ref.crossEntropy(c.label()), MC)
          .add(new BigDecimal(eps).divide(BigDecimal.valueOf(n), MC).multiply(smooth, MC), MC);
      for (SoftmaxKernel kernel : Kernels.all()) {
        double got = new SoftmaxRow(kernel).analyze(c.x(), 0, n, c.temperature())
            .crossEntropy(c.label(), o);
        if (infinite && eps > 0) {
          assertThat(got).as("%s eps=%s", c, eps).isEqualTo(Double.POSITIVE_INFINITY);
          continue;
        }
        double ulps = Reference.ulps(got, exact);
        worst = Math.max(worst, ulps);
        assertThat(ulps).as("%s on %s eps=%s weights=%s: %s, exact %s", kernel.name(), c, eps,
            w != null, got, exact).isLessThanOrEqualTo(4.0);
      }
    }
    assertThat(worst).isGreaterThan(0.0);
  }

  @Test
  void ignoreIndexAndTheWeightedMean() {
    double[] values = {1, 2, 3, 0.5, -1, 4, 2, 2, 9};
    int[] offsets = {0, 3, 6, 9};
    int[] labels = {2, -100, 0};
    double[] w = {0.5, 2.0, 1.0};
    CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.classWeights(w).ignoreIndex(-100);
    SoftmaxRow row = new SoftmaxRow();
    assertThat(row.analyze(values, 3, 3, 1.0).crossEntropy(-100, o)).isZero();
    assertThat(row.weight(-100, o)).isZero();
    double[] grad = StableSoftmax.crossEntropyGradient(new double[] {0.5, -1, 4}, -100, 1.0, o);
    assertThat(grad).containsOnly(0.0);
    // PyTorch: sum of w_y * l over kept rows / sum of w_y over kept rows
    double l0 = StableSoftmax.crossEntropy(new double[] {1, 2, 3}, 2);
    double l2 = StableSoftmax.crossEntropy(new double[] {2, 2, 9}, 0);
    BigDecimal exact = new BigDecimal(1.0).multiply(new BigDecimal(l0))
        .add(new BigDecimal(0.5).multiply(new BigDecimal(l2)))
        .divide(new BigDecimal(1.5), MC);
    double mean = StableSoftmax.meanCrossEntropy(values, offsets, 3, labels, 1.0, o, row);
    assertThat(Reference.ulps(mean, exact)).isLessThanOrEqualTo(1.0);
    // all ignored: 0 / 0
    assertThat(StableSoftmax.meanCrossEntropy(values, offsets, 3, new int[] {-100, -100, -100},
        1.0, o, row)).isNaN();
  }

  @Test
  void softTargets() {
    SplittableRandom rng = new SplittableRandom(2);
    for (Rows.Case c : ROWS) {
      int n = c.x().length;
      double[] target = rng.doubles(n, 0.0, 1.0).toArray();
      if (rng.nextBoolean()) {
        target[rng.nextInt(n)] = 0.0;
      }
      double eps = rng.nextBoolean() ? 0.0 : rng.nextDouble(0, 0.3);
      CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(eps);
      Reference ref = new Reference(c.x(), c.temperature());
      BigDecimal exact = BigDecimal.ZERO;
      boolean infinite = false;
      for (int i = 0; i < n; i++) {
        // t' = (1 - eps) t + eps / C, as doubles like the kernel forms it
        double ti = eps == 0.0 ? target[i] : (1.0 - eps) * target[i] + eps / n;
        if (ti == 0.0) {
          continue;
        }
        BigDecimal li = ref.crossEntropy(i);
        if (li == null) {
          infinite = true;
          continue;
        }
        exact = exact.add(new BigDecimal(ti).multiply(li, MC), MC);
      }
      double got = StableSoftmax.softCrossEntropy(c.x(), target, c.temperature(), o);
      if (infinite) {
        assertThat(got).as("%s", c).isEqualTo(Double.POSITIVE_INFINITY);
      } else {
        assertThat(Reference.ulps(got, exact)).as("%s: %s, exact %s", c, got, exact)
            .isLessThanOrEqualTo(4.0);
      }
    }
  }

  @Test
  void gradientIsSoftmaxMinusTarget() {
    SplittableRandom rng = new SplittableRandom(3);
    for (Rows.Case c : ROWS) {
      int n = c.x().length;
      double t = c.temperature();
      double wy = rng.nextBoolean() ? 1.0 : rng.nextDouble(0.1, 3);
      double[] w = new double[n];
      Arrays.fill(w, wy);
      CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.classWeights(w);
      Reference ref = new Reference(c.x(), t);
      for (SoftmaxKernel kernel : Kernels.all()) {
        double[] g = new double[n];
        new SoftmaxRow(kernel).crossEntropyGradient(c.x(), 0, n, t, c.label(), o, g, 0);
        for (int i = 0; i < n; i++) {
          // w_y (p_i - [i = y]) / T
          BigDecimal p = ref.softmax(i) == null ? BigDecimal.ZERO : ref.softmax(i);
          BigDecimal exact = (i == c.label() ? ref.complement(i).negate() : p)
              .multiply(new BigDecimal(wy), MC).divide(new BigDecimal(t), MC);
          assertThat(Reference.ulps(g[i], exact))
              .as("%s on %s [%d]: %s, exact %s", kernel.name(), c, i, g[i], exact)
              .isLessThanOrEqualTo(6.0);
        }
      }
    }
  }

  @Test
  void smoothedAndSoftGradientsMatchTheirDefinitions() {
    SplittableRandom rng = new SplittableRandom(4);
    for (Rows.Case c : ROWS.subList(0, 100)) {
      int n = c.x().length;
      double t = c.temperature();
      double eps = rng.nextDouble(0, 0.5);
      double[] w = rng.doubles(n, 0.5, 2.0).toArray();
      double[] target = rng.doubles(n, 0, 1).toArray();
      CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(eps).classWeights(w);
      Reference ref = new Reference(c.x(), t);
      double[] hard = StableSoftmax.crossEntropyGradient(c.x(), c.label(), t, o);
      double[] soft = StableSoftmax.softCrossEntropyGradient(c.x(), target, t, o);
      // hard: (p_i A - b_i) / T; soft: (p_i sum_j w_j t'_j - w_i t'_i) / T
      BigDecimal weightSum = Arrays.stream(w).mapToObj(BigDecimal::new)
          .reduce(BigDecimal.ZERO, BigDecimal::add);
      BigDecimal e = new BigDecimal(eps);
      BigDecimal oneMinusE = BigDecimal.ONE.subtract(e);
      BigDecimal eOverC = e.divide(BigDecimal.valueOf(n), MC);
      BigDecimal wyB = new BigDecimal(w[c.label()]);
      BigDecimal a = oneMinusE.multiply(wyB).add(eOverC.multiply(weightSum, MC), MC);
      BigDecimal[] ts = new BigDecimal[n];
      BigDecimal softTotal = BigDecimal.ZERO;
      for (int i = 0; i < n; i++) {
        ts[i] = new BigDecimal(w[i]).multiply(
            oneMinusE.multiply(new BigDecimal(target[i])).add(eOverC, MC), MC);
        softTotal = softTotal.add(ts[i], MC);
      }
      BigDecimal tB = new BigDecimal(t);
      for (int i = 0; i < n; i++) {
        BigDecimal p = ref.softmax(i) == null ? BigDecimal.ZERO : ref.softmax(i);
        BigDecimal b = eOverC.multiply(new BigDecimal(w[i]), MC)
            .add(i == c.label() ? oneMinusE.multiply(wyB) : BigDecimal.ZERO, MC);
        assertWithinConditionedUlps(hard[i], p.multiply(a, MC), b, tB, c + " hard [" + i + "]");
        assertWithinConditionedUlps(soft[i], p.multiply(softTotal, MC), ts[i], tB,
            c + " soft [" + i + "]");
      }
    }
  }

  /**
   * {@code computed ≈ (x - y) / t}: within 8 ulps of {@code (|x| + |y|) / t}, the scale the
   * difference's rounding errors live on (it may cancel to far less than that).
   */
  private static void assertWithinConditionedUlps(double computed, BigDecimal x, BigDecimal y,
      BigDecimal t, String what) {
    BigDecimal exact = x.subtract(y, MC).divide(t, MC);
    BigDecimal scale = x.abs().add(y.abs()).divide(t, MC);
    double error = new BigDecimal(computed).subtract(exact).abs().doubleValue();
    assertThat(error / Reference.ulpOf(scale)).as("%s: %s, exact %s", what, computed, exact)
        .isLessThanOrEqualTo(8.0);
  }

  @Test
  void jacobianVectorProduct() {
    SplittableRandom rng = new SplittableRandom(5);
    for (Rows.Case c : ROWS) {
      int n = c.x().length;
      double t = c.temperature();
      double[] v = rng.doubles(n, -10, 10).toArray();
      Reference ref = new Reference(c.x(), t);
      double[] jv = StableSoftmax.softmaxJvp(c.x(), v, t);
      BigDecimal pv = BigDecimal.ZERO;
      BigDecimal pAbsV = BigDecimal.ZERO;
      BigDecimal[] p = new BigDecimal[n];
      for (int i = 0; i < n; i++) {
        p[i] = ref.softmax(i) == null ? BigDecimal.ZERO : ref.softmax(i);
        pv = pv.add(p[i].multiply(new BigDecimal(v[i]), MC), MC);
        pAbsV = pAbsV.add(p[i].multiply(new BigDecimal(Math.abs(v[i])), MC), MC);
      }
      BigDecimal tB = new BigDecimal(t);
      for (int i = 0; i < n; i++) {
        // (J v)_i = p_i (v_i - <p, v>) / T
        BigDecimal vi = new BigDecimal(v[i]);
        assertWithinConditionedUlps(jv[i], p[i].multiply(vi, MC), p[i].multiply(pv, MC), tB,
            c + " [" + i + "]");
      }
    }
  }

  @Test
  void entropy() {
    double worst = 0;
    for (Rows.Case c : ROWS) {
      Reference ref = new Reference(c.x(), c.temperature());
      BigDecimal exact = ref.entropy();
      for (SoftmaxKernel kernel : Kernels.all()) {
        double h = new SoftmaxRow(kernel).analyze(c.x(), 0, c.x().length, c.temperature())
            .entropy();
        if (exact.doubleValue() < 0x1p-900) {
          // made of subnormal probabilities: absolute error only
          assertThat(Math.abs(h - exact.doubleValue())).as("%s", c).isLessThan(0x1p-1000);
          continue;
        }
        double ulps = Reference.ulps(h, exact);
        worst = Math.max(worst, ulps);
        assertThat(ulps).as("%s on %s: %s, exact %s", kernel.name(), c, h, exact)
            .isLessThanOrEqualTo(Bounds.entropyUlps(c.x().length));
      }
    }
    assertThat(worst).isGreaterThan(0.0);
  }

  @Test
  void argmaxAndTopKAsTorch() {
    SplittableRandom rng = new SplittableRandom(6);
    for (int j = 0; j < 500; j++) {
      int n = 1 + rng.nextInt(300);
      double[] x = new double[n];
      for (int i = 0; i < n; i++) {
        x[i] = rng.nextInt(20) - 10; // many ties
        if (rng.nextInt(50) == 0) {
          x[i] = rng.nextBoolean() ? Double.NaN : Double.NEGATIVE_INFINITY;
        }
      }
      int k = rng.nextInt(n + 3);
      // largest first, NaN largest, ties by index: a stable sort of the indices
      Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
      Arrays.sort(order, Comparator.comparingDouble((Integer i) -> x[i]).reversed());
      int[] expected = Arrays.stream(order).limit(k).mapToInt(Integer::intValue).toArray();
      assertThat(StableSoftmax.topK(x, k)).as("row %d k=%d", j, k).containsExactly(expected);
      assertThat(StableSoftmax.argmax(x)).as("row %d", j).isEqualTo(order[0]);
      assertThat(StableSoftmax.topK(KernelAccuracyTest.toFloat(x), k)).containsExactly(expected);
      // rank(i): i's place in that order, so rank(i) < k iff i is in topK(k); counted in
      // vectors and in the scalar tail by each kernel
      for (SoftmaxKernel kernel : Kernels.all()) {
        SoftmaxRow row = new SoftmaxRow(kernel).analyze(x, 0, n, 1.0);
        for (int place = 0; place < n; place++) {
          assertThat(row.rank(order[place])).as("%s row %d rank of %d", kernel.name(), j,
              order[place]).isEqualTo(place);
        }
      }
    }
  }
}
