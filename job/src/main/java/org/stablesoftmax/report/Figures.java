package org.stablesoftmax.report;

import java.util.Locale;

/** How figures print, in the evaluation's table and in the report alike. */
public final class Figures {

  private Figures() {}

  /**
   * Six decimals from 1e-4 to 1e6 (and 0); outside, six significant digits in scientific
   * notation without trailing zeros ({@code 4.4e+300}); {@code inf}, {@code -inf}, and
   * {@code n/a} for NaN (undefined: a mean of nothing).
   */
  public static String compact(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    double a = Math.abs(v);
    if (a == 0 || (a >= 1e-4 && a < 1e6)) {
      return String.format(Locale.ROOT, "%.6f", v);
    }
    return String.format(Locale.ROOT, "%.5e", v).replaceFirst("\\.?0+e", "e");
  }

  /** A count with thousands separators: {@code 99,959}. */
  public static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A count in at most five characters, for a chart's labels: 999, 1.2k, 99.9k, 123k, 4.5M. */
  public static String shortCount(long n) {
    if (n < 1000) {
      return Long.toString(n);
    }
    String[] units = {"k", "M", "G", "T", "P", "E"};
    double v = n;
    int u = -1;
    while (v >= 999.5 && u + 1 < units.length) {
      v /= 1000;
      u++;
    }
    return (v < 99.95 ? String.format(Locale.ROOT, "%.1f", v).replaceFirst("\\.0$", "")
        : String.format(Locale.ROOT, "%.0f", v)) + units[u];
  }
}
