package org.stablesoftmax.job;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The shortest decimal text that reads back as the same double, for summary.json. Java 17's
 * {@code Double.toString} is not always the shortest (JDK-4511638, fixed in Java 19: it prints
 * {@code Double.MIN_VALUE} as 4.9E-324 where 5.0E-324 reads back the same); this tries 1 to 17
 * significant digits and keeps the first length at which a decimal (the nearest, else the one
 * below or above: next to a power of two the interval that reads back is lopsided) parses back
 * to the same bits.
 */
final class ShortestDouble {

  private static final RoundingMode[] MODES =
      {RoundingMode.HALF_EVEN, RoundingMode.FLOOR, RoundingMode.CEILING};

  private ShortestDouble() {}

  /** JSON text for {@code d}; null for NaN and infinities, which JSON cannot hold. */
  static String of(double d) {
    if (!Double.isFinite(d)) {
      return null;
    }
    if (d == 0) {
      return (Double.doubleToRawLongBits(d) < 0) ? "-0.0" : "0.0";
    }
    BigDecimal exact = new BigDecimal(d);
    for (int digits = 1; digits <= 17; digits++) {
      for (RoundingMode mode : MODES) {
        BigDecimal candidate = exact.round(new MathContext(digits, mode));
        if (candidate.doubleValue() == d) {
          return format(candidate);
        }
      }
    }
    throw new AssertionError("17 digits always round-trip: " + d);
  }

  private static String format(BigDecimal v) {
    BigDecimal s = v.stripTrailingZeros();
    int exponent = s.precision() - s.scale() - 1;
    if (exponent >= -7 && exponent < 21) {
      String plain = s.toPlainString();
      return plain.contains(".") ? plain : plain + ".0";
    }
    // d.dddE±x
    String digits = s.unscaledValue().abs().toString();
    String mantissa = digits.charAt(0) + "." + (digits.length() == 1 ? "0" : digits.substring(1));
    return (s.signum() < 0 ? "-" : "") + mantissa + "E" + exponent;
  }
}
