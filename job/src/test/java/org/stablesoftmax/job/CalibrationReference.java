package org.stablesoftmax.job;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;

/**
 * The calibration metrics computed in exact arithmetic from rows given one by one (the kernel's
 * confidence, whether the top-1 prediction is right, and a sample weight): equal-width bins
 * {@code [b/N, (b+1)/N)} of the exact confidence (1.0 in the last), torchmetrics' L1, max and L2
 * calibration errors, each row counting with its weight.
 */
final class CalibrationReference {

  static final MathContext MC = MathContext.DECIMAL128;

  final int bins;
  final long[] rows;
  final BigDecimal[] weight;
  final BigDecimal[] correct;
  final BigDecimal[] confidence;
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
