package org.stablesoftmax.stats;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap intervals from {@link BootstrapBuckets}, computed on the driver: each of
 * the {@code B} replicates draws {@link BootstrapBuckets#BUCKETS} buckets uniformly with
 * replacement (from one {@link SplittableRandom} of the seed, in order), adds up their sums, and
 * computes each metric from the replicate's sums as the evaluation does from the whole. The
 * interval's ends are the 2.5% and 97.5% percentiles of the replicates' values, interpolated
 * linearly as numpy's default {@code percentile} (and {@code scipy.stats.bootstrap}'s
 * "percentile" method) does. Replicates on which a metric is undefined (no weight) are left out
 * of its percentiles.
 *
 * <p>Everything is a fixed sequence of double operations on the buckets' integers, so the
 * intervals are the same to the bit for the same seed and rows, whatever the partitioning.
 */
public final class BootstrapIntervals {

  /** The bootstrapped metrics. */
  public enum Metric { LOSS_MEAN, ACCURACY, TOP_K_ACCURACY, BRIER, ECE }

  /** The confidence level of the intervals. */
  public static final double LEVEL = 0.95;

  private BootstrapIntervals() {}

  /**
   * The 95% percentile intervals {@code [low, high]} of each metric over {@code replicates}
   * replicates, or null for a metric defined on fewer than 2 of them or if the buckets
   * overflowed.
   */
  public static Map<Metric, double[]> compute(BootstrapBuckets buckets, int replicates) {
    if (replicates < 1) {
      throw new IllegalArgumentException("replicates must be >= 1, got " + replicates);
    }
    int fields = buckets.fields();
    int m = BootstrapBuckets.BUCKETS;
    double[] values = new double[m * fields];
    for (int j = 0; j < m; j++) {
      for (int f = 0; f < fields; f++) {
        values[j * fields + f] = buckets.value(j, f);
      }
    }
    Metric[] metrics = Metric.values();
    double[][] draws = new double[metrics.length][replicates];
    SplittableRandom rng = new SplittableRandom(buckets.seed());
    double[] sums = new double[fields];
    for (int r = 0; r < replicates; r++) {
      Arrays.fill(sums, 0.0);
      for (int i = 0; i < m; i++) {
        int at = rng.nextInt(m) * fields;
        for (int f = 0; f < fields; f++) {
          sums[f] += values[at + f];
        }
      }
      for (Metric metric : metrics) {
        draws[metric.ordinal()][r] = value(metric, sums, buckets.bins());
      }
    }
    Map<Metric, double[]> out = new EnumMap<>(Metric.class);
    for (Metric metric : metrics) {
      out.put(metric, buckets.overflowed() ? null
          : interval(draws[metric.ordinal()], (1 - LEVEL) / 2, (1 + LEVEL) / 2));
    }
    return out;
  }

  /** The metric's value from a replicate's sums; NaN where its denominator is 0. */
  static double value(Metric metric, double[] sums, int bins) {
    return switch (metric) {
      case LOSS_MEAN -> ratio(sums[BootstrapBuckets.LOSS], sums[BootstrapBuckets.LOSS_WEIGHT]);
      case ACCURACY -> ratio(sums[BootstrapBuckets.CORRECT], sums[BootstrapBuckets.WEIGHT]);
      case TOP_K_ACCURACY -> ratio(sums[BootstrapBuckets.TOP_K], sums[BootstrapBuckets.WEIGHT]);
      case BRIER -> ratio(sums[BootstrapBuckets.BRIER], sums[BootstrapBuckets.BRIER_WEIGHT]);
      case ECE -> {
        double gaps = 0;
        double n = 0;
        for (int b = 0; b < bins; b++) {
          int at = BootstrapBuckets.BIN + 3 * b;
          n += sums[at];
          gaps += Math.abs(sums[at + 1] - sums[at + 2]);
        }
        yield ratio(gaps, n);
      }
    };
  }

  private static double ratio(double a, double b) {
    return b == 0 ? Double.NaN : a / b;
  }

  /**
   * The {@code low} and {@code high} quantiles of the non-NaN values, each interpolated linearly
   * between the order statistics around {@code (n - 1) q} (numpy's "linear" method); null if
   * fewer than 2 values are not NaN.
   */
  static double[] interval(double[] values, double low, double high) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length < 2) {
      return null;
    }
    return new double[] {quantile(v, low), quantile(v, high)};
  }

  /**
   * numpy's {@code percentile(v, 100 q)} (method "linear") of sorted {@code v}, with numpy's
   * interpolation: from the lower neighbour below t = 0.5, from the upper one from t = 0.5 on.
   */
  static double quantile(double[] sorted, double q) {
    double h = (sorted.length - 1) * q;
    int lo = (int) Math.floor(h);
    int hi = Math.min(lo + 1, sorted.length - 1);
    double t = h - lo;
    double a = sorted[lo];
    double diff = sorted[hi] - a;
    return t >= 0.5 ? sorted[hi] - diff * (1 - t) : a + diff * t;
  }
}
