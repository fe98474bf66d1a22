package org.stablesoftmax.job;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * The calibration metrics computed in exact arithmetic from rows given one by one (the kernel's
 * confidence, whether the top-1 prediction is right, and a sample weight): equal-width bins
 * {@code [b/N, (b+1)/N)} of the exact confidence (1.0 in the last), torchmetrics' L1, max and L2
 * calibration errors, each row counting with its weight; and the adaptive error of equal-mass
 * bins.
 */
final class CalibrationReference {

  static final MathContext MC = MathContext.DECIMAL128;

  final int bins;
  final long[] rows;
  final BigDecimal[] weight;
  final BigDecimal[] correct;
  final BigDecimal[] confidence;
  /**
   * For the adaptive error, per group of equal exponent and top 9 mantissa bits of the
   * confidence, in increasing order: weight, weighted hits, weighted confidence.
   */
  private final TreeMap<Long, BigDecimal[]> keys = new TreeMap<>();

  CalibrationReference(int bins) {
    this.bins = bins;
    rows = new long[bins];
    weight = new BigDecimal[bins];
    correct = new BigDecimal[bins];
    confidence = new BigDecimal[bins];
    Arrays.fill(weight, BigDecimal.ZERO);
    Arrays.fill(correct, BigDecimal.ZERO);
    Arrays.fill(confidence, BigDecimal.ZERO);
  }

  /** Adds a row whose confidence is {@code p} (left out unless in [0, 1]), of weight 1. */
  void add(double p, boolean top1) {
    add(p, top1, 1.0);
  }

  /** Adds a row whose confidence is {@code p} (left out unless in [0, 1]), of weight {@code s}. */
  void add(double p, boolean top1, double s) {
    if (!(p >= 0 && p <= 1)) {
      return;
    }
    BigDecimal exact = new BigDecimal(p);
    BigDecimal w = new BigDecimal(s);
    int b = Math.min(bins - 1, exact.multiply(BigDecimal.valueOf(bins)).intValue());
    rows[b]++;
    weight[b] = weight[b].add(w);
    correct[b] = top1 ? correct[b].add(w) : correct[b];
    confidence[b] = confidence[b].add(exact.multiply(w));
    BigDecimal[] k = keys.computeIfAbsent(Double.doubleToLongBits(p) >>> 43,
        key -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO});
    k[0] = k[0].add(w);
    k[1] = top1 ? k[1].add(w) : k[1];
    k[2] = k[2].add(exact.multiply(w));
  }

  /**
   * The adaptive calibration error over {@code r} equal-mass bins: the groups of equal key in
   * increasing order, each in the bin of its middle, floor(r (before + w / 2) / total), and
   * Σ_b |hits_b - Σ_b p| / total. Also gives each bin's row weight in {@code mass}.
   */
  BigDecimal adaptiveEce(int r, BigDecimal[] mass) {
    BigDecimal total = keys.values().stream().map(k -> k[0]).reduce(BigDecimal.ZERO,
        BigDecimal::add);
    BigDecimal[] gap = new BigDecimal[r];
    Arrays.fill(gap, BigDecimal.ZERO);
    Arrays.fill(mass, BigDecimal.ZERO);
    BigDecimal before = BigDecimal.ZERO;
    BigDecimal half = new BigDecimal("0.5");
    for (BigDecimal[] k : keys.values()) {
      BigDecimal middle = before.add(k[0].multiply(half));
      int b = Math.min(r - 1, middle.multiply(BigDecimal.valueOf(r)).divide(total, MC)
          .setScale(0, RoundingMode.FLOOR).intValue());
      gap[b] = gap[b].add(k[1]).subtract(k[2]);
      mass[b] = mass[b].add(k[0]);
      before = before.add(k[0]);
    }
    return Arrays.stream(gap).map(BigDecimal::abs).reduce(BigDecimal.ZERO, BigDecimal::add)
        .divide(total, MC);
  }

  private BigDecimal binned() {
    return Arrays.stream(weight).reduce(BigDecimal.ZERO, BigDecimal::add);
  }

  private BigDecimal gap(int b) {
    return correct[b].subtract(confidence[b]).abs();
  }

  /** Σ_b |correct_b - Σ confidence_b| / N. */
  BigDecimal ece() {
    BigDecimal l1 = BigDecimal.ZERO;
    for (int b = 0; b < bins; b++) {
      l1 = l1.add(gap(b));
    }
    return l1.divide(binned(), MC);
  }

  /** max_b |accuracy_b - mean confidence_b| over the bins that hold rows. */
  BigDecimal mce() {
    BigDecimal max = BigDecimal.ZERO;
    for (int b = 0; b < bins; b++) {
      if (weight[b].signum() > 0) {
        max = max.max(gap(b).divide(weight[b], MC));
      }
    }
    return max;
  }

  /** sqrt(Σ_b (n_b / N) (accuracy_b - mean confidence_b)^2). */
  BigDecimal rmsce() {
    BigDecimal l2 = BigDecimal.ZERO;
    for (int b = 0; b < bins; b++) {
      if (weight[b].signum() > 0) {
        l2 = l2.add(gap(b).pow(2).divide(weight[b], MC));
      }
    }
    return l2.divide(binned(), MC).sqrt(MC);
  }
}
