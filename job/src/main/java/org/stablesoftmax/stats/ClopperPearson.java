package org.stablesoftmax.stats;

import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * The Clopper–Pearson ("exact") confidence interval of a binomial proportion: for {@code k}
 * successes in {@code n} trials at level {@code 1 - α}, the lower end is the {@code α/2}
 * quantile of Beta(k, n - k + 1) (0 for k = 0) and the upper end the {@code 1 - α/2} quantile
 * of Beta(k + 1, n - k) (1 for k = n), as {@code statsmodels}' {@code proportion_confint(...,
 * method="beta")} and R's {@code binom.test} give. The quantiles are Commons Math's, found to
 * an absolute 1e-14; pure Java arithmetic, so every JVM gets the same bits.
 */
public final class ClopperPearson {

  /** The quantiles' absolute accuracy. */
  private static final double ACCURACY = 1e-14;

  private ClopperPearson() {}

  /**
   * The interval {@code [low, high]} for {@code k} of {@code n} at level {@code 1 - alpha}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= k <= n}, {@code n > 0} and
   *     {@code 0 < alpha < 1}
   */
  public static double[] interval(long k, long n, double alpha) {
    return interval((double) k, (double) n, alpha);
  }

  /**
   * {@link #interval(long, long, double)} for real counts, as Kish's effective counts of
   * weighted rows are: the Beta quantiles take real parameters.
   */
  public static double[] interval(double k, double n, double alpha) {
    if (!(n > 0) || !(k >= 0) || !(k <= n) || !(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("need 0 <= k <= n, n > 0 and 0 < alpha < 1, got k = "
          + k + ", n = " + n + ", alpha = " + alpha);
    }
    double low = k == 0 ? 0.0 : quantile(k, n - k + 1, alpha / 2);
    double high = k == n ? 1.0 : quantile(k + 1, n - k, 1 - alpha / 2);
    return new double[] {low, high};
  }

  private static double quantile(double a, double b, double p) {
    // no random generator: the distribution is only asked for its quantile
    return new BetaDistribution(null, a, b, ACCURACY).inverseCumulativeProbability(p);
  }
}
