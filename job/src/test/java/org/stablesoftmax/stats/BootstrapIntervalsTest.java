package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

/** numpy's linear percentiles, and the metrics of a replicate's sums. */
class BootstrapIntervalsTest {

  @Test
  void quantilesAreNumpysLinearOnes() {
    double[] v = {1, 2, 3, 4};
    // numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) == [1.075, 3.925]
    assertThat(BootstrapIntervals.interval(new double[] {4, Double.NaN, 2, 1, 3}, 0.025, 0.975))
        .containsExactly(1.075, 3.925);
    assertThat(BootstrapIntervals.quantile(v, 0)).isEqualTo(1);
    assertThat(BootstrapIntervals.quantile(v, 1)).isEqualTo(4);
    assertThat(BootstrapIntervals.interval(new double[] {Double.NaN, 3}, 0.025, 0.975)).isNull();
    // on 1000 values, each end against the exact interpolation (BigDecimal), rounded once
    double[] many = new double[1000];
    for (int i = 0; i < many.length; i++) {
      many[i] = Math.sqrt(i) * 0.1;
    }
    for (double q : new double[] {0.025, 0.975, 0.5, 0.3333}) {
      BigDecimal h = new BigDecimal(many.length - 1).multiply(new BigDecimal(q));
      int lo = h.intValue();
      BigDecimal t = h.subtract(new BigDecimal(lo));
      BigDecimal exact = new BigDecimal(many[lo]).add(t.multiply(
          new BigDecimal(many[lo + 1]).subtract(new BigDecimal(many[lo]))));
      double got = BootstrapIntervals.quantile(many, q);
      assertThat(new BigDecimal(got).subtract(exact).abs())
          .as("q = %s", q).isLessThanOrEqualTo(new BigDecimal(2 * Math.ulp(got)));
    }
  }

  @Test
  void aReplicatesMetricsAreTheEvaluationsRatios() {
    int bins = 2;
    double[] sums = new double[BootstrapBuckets.BIN + 3 * bins];
    sums[BootstrapBuckets.WEIGHT] = 10;
    sums[BootstrapBuckets.LOSS] = 7;
    sums[BootstrapBuckets.LOSS_WEIGHT] = 8;
    sums[BootstrapBuckets.CORRECT] = 6;
    sums[BootstrapBuckets.TOP_K] = 9;
    sums[BootstrapBuckets.BRIER] = 3;
    sums[BootstrapBuckets.BRIER_WEIGHT] = 9;
    // bin 0: weight 4, 1 correct, confidence 1.5; bin 1: weight 6, 5 correct, confidence 5.25
    double[] bin = {4, 1, 1.5, 6, 5, 5.25};
    System.arraycopy(bin, 0, sums, BootstrapBuckets.BIN, bin.length);
    assertThat(BootstrapIntervals.value(BootstrapIntervals.Metric.LOSS_MEAN, sums, bins))
        .isEqualTo(7.0 / 8);
    assertThat(BootstrapIntervals.value(BootstrapIntervals.Metric.ACCURACY, sums, bins))
        .isEqualTo(0.6);
    assertThat(BootstrapIntervals.value(BootstrapIntervals.Metric.TOP_K_ACCURACY, sums, bins))
        .isEqualTo(0.9);
    assertThat(BootstrapIntervals.value(BootstrapIntervals.Metric.BRIER, sums, bins))
        .isEqualTo(3.0 / 9);
    // ECE: (|1 - 1.5| + |5 - 5.25|) / 10
    assertThat(BootstrapIntervals.value(BootstrapIntervals.Metric.ECE, sums, bins))
        .isEqualTo(new BigDecimal("0.075").round(MathContext.DECIMAL64).doubleValue());
  }
}
