package org.stablesoftmax.compare;

/**
 * McNemar's exact test of two classifiers on the same rows, as statsmodels'
 * {@code mcnemar(table, exact=True)}: of the {@code n = b01 + b10} rows on which exactly one of
 * them is right, the count {@code min(b01, b10)} is binomial with p = 1/2 under the hypothesis
 * that both are as accurate, and the two-sided p-value is {@code min(1, 2 P(X <= min))}.
 *
 * <p>The binomial tail is computed without cancellation for any {@code n}: its last term by
 * Loader's saddle-point form of the binomial probability (Loader 2000, "Fast and accurate
 * computation of binomial probabilities", as R's {@code dbinom}), accurate to about 1e-13
 * relative wherever it is a normal double, and the sum of the earlier terms relative to it by
 * their ratios {@code i / (n - i + 1)}, in double-double arithmetic, so no error accumulates
 * over the thousands of terms of a large {@code n}; up to {@code n = 56} the coefficients are
 * summed exactly in a {@code long}, so the p-value is correctly rounded. Where the p-value is below the smallest
 * double, {@link #log10PValue} still gives it.
 */
public final class McNemar {

  private static final double LN_2PI = 1.8378770664093454835606594728112;
  private static final double HALF_LN_2PI = 0.91893853320467274178032973640562;

  private McNemar() {}

  /** The two-sided exact p-value of the counts {@code b01} and {@code b10} (both >= 0). */
  public static double pValue(long b01, long b10) {
    double log = logPValue(b01, b10);
    if (log == 0) {
      return 1.0;
    }
    long n = b01 + b10;
    long k = Math.min(b01, b10);
    if (k == 0) {
      // 2 / 2^n, exactly
      return Math.scalb(1.0, (int) Math.max(1 - n, -1100));
    }
    if (n <= 56) {
      // the sum of the binomial coefficients fits a long: one rounding, correctly rounded
      long sum = 0;
      long c = 1;
      for (long i = 0; i <= k; i++) {
        sum += c;
        c = c * (n - i) / (i + 1);
      }
      return Math.scalb((double) sum, (int) (1 - n));
    }
    return Math.exp(log);
  }

  /** The base-10 logarithm of {@link #pValue}, finite even where the p-value underflows. */
  public static double log10PValue(long b01, long b10) {
    return logPValue(b01, b10) / Math.log(10);
  }

  /** The natural logarithm of {@link #pValue}; 0 for a p-value of 1. */
  static double logPValue(long b01, long b10) {
    if (b01 < 0 || b10 < 0) {
      throw new IllegalArgumentException("counts must be >= 0, got " + b01 + " and " + b10);
    }
    long n = b01 + b10;
    long k = Math.min(b01, b10);
    // P(X <= k) >= 1/2 from k >= (n - 1) / 2 on: the p-value is 1 (n = 0 included)
    if (2 * k + 1 >= n) {
      return 0.0;
    }
    return Math.log(2) + logProbability(k, n) + Math.log(tailOverLast(k, n));
  }

  /**
   * {@code P(X <= k) / P(X = k)} for X binomial (n, 1/2) and {@code k < n / 2}: the sum over
   * {@code i <= k} of the products of the ratios {@code P(X = i - 1) / P(X = i) = i / (n - i +
   * 1)}, each term and the sum in double-double, until a term no longer changes the sum.
   */
  static double tailOverLast(long k, long n) {
    double sumHi = 1;
    double sumLo = 0;
    double termHi = 1;
    double termLo = 0;
    for (long i = k; i >= 1; i--) {
      // q = i / (n - i + 1) in double-double: the division's error exactly, by fma
      double d = (double) (n - i + 1);
      double x = (double) i;
      double q = x / d;
      double qLo = Math.fma(-q, d, x) / d;
      // term *= q
      double p = termHi * q;
      double e = Math.fma(termHi, q, -p) + (termHi * qLo + termLo * q);
      termHi = p + e;
      termLo = e - (termHi - p);
      // sum += term (two-sum)
      double s = sumHi + termHi;
      double bb = s - sumHi;
      double err = (sumHi - (s - bb)) + (termHi - bb);
      sumLo += err + termLo;
      sumHi = s;
      if (termHi < 0x1p-64 * sumHi) {
        break;
      }
    }
    return sumHi + sumLo;
  }

  /** {@code log P(X = k)} for X binomial (n, 1/2), {@code 0 <= k < n / 2}, by Loader's form. */
  static double logProbability(long k, long n) {
    if (k == 0) {
      return -n * Math.log(2);
    }
    double half = n / 2.0;
    double lc = stirlingError(n) - stirlingError(k) - stirlingError(n - k)
        - deviance(k, half) - deviance(n - k, half);
    double lf = LN_2PI + Math.log(k) + Math.log1p(-(double) k / n);
    return lc - 0.5 * lf;
  }

  /**
   * {@code log(n!) - (n + 1/2) log n + n - log(2 pi) / 2}, the error of Stirling's formula: from
   * the factorial itself up to 15 (exact in a double), beyond by its asymptotic series.
   */
  static double stirlingError(long n) {
    if (n <= 15) {
      double f = 1;
      for (int i = 2; i <= n; i++) {
        f *= i;
      }
      return Math.log(f) - (n + 0.5) * Math.log(n) + n - HALF_LN_2PI;
    }
    double x = n;
    double xx = x * x;
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - 1.0 / 1188 / xx) / xx) / xx) / xx)
        / x;
  }

  /**
   * The deviance term {@code x log(x / m) + m - x}, by its series in {@code (x - m) / (x + m)}
   * where x is near m (where the closed form cancels).
   */
  static double deviance(double x, double m) {
    if (Math.abs(x - m) < 0.1 * (x + m)) {
      double v = (x - m) / (x + m);
      double s = (x - m) * v;
      double ej = 2 * x * v;
      double vv = v * v;
      for (int j = 1; j < 1000; j++) {
        ej *= vv;
        double s1 = s + ej / (2 * j + 1);
        if (s1 == s) {
          return s1;
        }
        s = s1;
      }
      return s;
    }
    return x * Math.log(x / m) + m - x;
  }
}
