package org.stablesoftmax.job;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;

/**
 * The calibration metrics computed in exact arithmetic from rows given one by one (the kernel's
 * confidence and whether the top-1 prediction is right): equal-width bins {@code [b/N, (b+1)/N)}
 * of the exact confidence (1.0 in the last), torchmetrics' L1, max and L2 calibration errors.
 */
final class CalibrationReference {

  static final MathContext MC = MathContext.DECIMAL128;

  final int bins;
  final long[] rows;
  final long[] correct;
  final BigDecimal[] confidence;

  CalibrationReference(int bins) {
    this.bins = bins;
    rows = new long[bins];
    correct = new long[bins];
    confidence = new BigDecimal[bins];
    Arrays.fill(confidence, BigDecimal.ZERO);
  }

  /** Adds a row whose confidence is {@code p} (left out unless in [0, 1]). */
  void add(double p, boolean top1) {
    if (!(p >= 0 && p <= 1)) {
      return;
    }
    BigDecimal exact = new BigDecimal(p);
    int b = Math.min(bins - 1, exact.multiply(BigDecimal.valueOf(bins)).intValue());
    rows[b]++;
    correct[b] += top1 ? 1 : 0;
    confidence[b] = confidence[b].add(exact);
  }

  private long binned() {
    return Arrays.stream(rows).sum();
  }

  private BigDecimal gap(int b) {
    return BigDecimal.valueOf(correct[b]).subtract(confidence[b]).abs();
  }

  /** Σ_b |correct_b - Σ confidence_b| / N. */
  BigDecimal ece() {
    BigDecimal l1 = BigDecimal.ZERO;
    for (int b = 0; b < bins; b++) {
      l1 = l1.add(gap(b));
    }
    return l1.divide(BigDecimal.valueOf(binned()), MC);
  }

  /** max_b |accuracy_b - mean confidence_b| over the bins that hold rows. */
  BigDecimal mce() {
    BigDecimal max = BigDecimal.ZERO;
    for (int b = 0; b < bins; b++) {
      if (rows[b] > 0) {
        max = max.max(gap(b).divide(BigDecimal.valueOf(rows[b]), MC));
      }
    }
    return max;
  }

  /** sqrt(Σ_b (n_b / N) (accuracy_b - mean confidence_b)^2). */
  BigDecimal rmsce() {
    BigDecimal l2 = BigDecimal.ZERO;
    for (int b = 0; b < bins; b++) {
      if (rows[b] > 0) {
        l2 = l2.add(gap(b).pow(2).divide(BigDecimal.valueOf(rows[b]), MC));
      }
    }
    return l2.divide(BigDecimal.valueOf(binned()), MC).sqrt(MC);
  }
}
