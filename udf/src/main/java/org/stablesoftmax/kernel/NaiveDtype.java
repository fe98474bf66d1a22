package org.stablesoftmax.kernel;

import java.util.Locale;

/**
 * A floating-point format in which a naive softmax is imagined to run, for instability
 * incidents. Each has a significand of {@code precision} bits (the leading one included), a
 * least normal exponent {@code minExponent} and a largest finite value {@code max}; rounding is to
 * nearest, ties to even, with gradual underflow and overflow to infinity.
 */
public enum NaiveDtype {
  FLOAT64("float64", 53, Double.MIN_EXPONENT, Double.MAX_VALUE),
  FLOAT32("float32", 24, Float.MIN_EXPONENT, Float.MAX_VALUE),
  FLOAT16("float16", 11, -14, 65504.0),
  BFLOAT16("bfloat16", 8, -126, 0x1.FEp127);

  private final String label;
  private final int precision;
  private final int minExponent;
  private final double max;
  private final double logMax;
  private final double logHalfMinSubnormal;

  NaiveDtype(String label, int precision, int minExponent, double max) {
    this.label = label;
    this.precision = precision;
    this.minExponent = minExponent;
    this.max = max;
    this.logMax = Math.log(max);
    // exp(x) rounds to 0 below half the least subnormal, 2^(minExponent - precision)
    this.logHalfMinSubnormal = (minExponent - precision) * Math.log(2.0);
  }

  /** The lower-case name users write: float64, float32, float16 or bfloat16. */
  public String label() {
    return label;
  }

  /** Significand bits, the leading one included. */
  public int precision() {
    return precision;
  }

  /** The largest finite value. */
  public double max() {
    return max;
  }

  /** {@code ln(max())}: a sum of exponentials overflows when the log-sum-exp exceeds it. */
  public double logMax() {
    return logMax;
  }

  /** The natural log of half the least subnormal: an exponential below it rounds to 0. */
  public double logHalfMinSubnormal() {
    return logHalfMinSubnormal;
  }

  /** The least positive normal value, {@code 2^minExponent}. */
  public double minNormal() {
    return Math.scalb(1.0, minExponent);
  }

  /** The unit roundoff, {@code 2^-precision}. */
  public double unitRoundoff() {
    return Math.scalb(1.0, -precision);
  }

  /** Rounds a double to the nearest value of this format (ties to even). */
  public double round(double v) {
    switch (this) {
      case FLOAT64:
        return v;
      case FLOAT32:
        return (float) v;
      default:
        if (v == 0.0 || !Double.isFinite(v)) {
          return v;
        }
        // scale so that the format's last significand bit has weight 1, round, scale back:
        // both scalings are exact powers of two
        int exponent = Math.max(Math.getExponent(v), minExponent);
        int shift = precision - 1 - exponent;
        double rounded = Math.scalb(Math.rint(Math.scalb(v, shift)), -shift);
        return Math.abs(rounded) > max ? Math.copySign(Double.POSITIVE_INFINITY, v) : rounded;
    }
  }

  /** The dtype a user names, case-insensitively; IllegalArgumentException for any other name. */
  public static NaiveDtype parse(String name) {
    if (name != null) {
      String key = name.trim().toLowerCase(Locale.ROOT);
      for (NaiveDtype dtype : values()) {
        if (dtype.label.equals(key)) {
          return dtype;
        }
      }
    }
    throw new IllegalArgumentException(
        "naive_dtype must be one of float64, float32, float16, bfloat16, got " + name);
  }

  @Override
  public String toString() {
    return label;
  }
}
