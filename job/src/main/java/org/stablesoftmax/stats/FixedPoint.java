package org.stablesoftmax.stats;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Sums of doubles as 128-bit fixed-point integers in units of 2^-64, held in pairs of {@code
 * long}s of an array: at {@code i} the high word (signed, units of 1), at {@code i + 1} the low
 * word (unsigned, units of 2^-64). Each value is rounded once to a multiple of 2^-64 (to nearest,
 * ties to even: an error below 2.8e-20), then the integers add exactly, in any order. So a sum
 * of many values is the same to the bit whatever their order and grouping, at 16 bytes a sum
 * (an {@link ExactSum} is 544): for the many small sums of the bootstrap's buckets and of the
 * groups, whose values (weights, losses, probabilities) are far above
 * 2^-64.
 *
 * <p>A value of magnitude 2^52 or more, or a sum beyond ±2^63, does not fit: {@link #add} and
 * {@link #addWords} then return false and leave the sum as it was.
 */
final class FixedPoint {

  private static final double TWO_64 = 0x1p64;
  private static final double LIMIT = 0x1p52;
  private static final BigDecimal UNIT = new BigDecimal(BigInteger.ONE.shiftLeft(64));

  private FixedPoint() {}

  /** Adds {@code v}, rounded to a multiple of 2^-64, to the sum at {@code at}; false if not. */
  static boolean add(long[] sums, int at, double v) {
    if (v == 0) {
      return true;
    }
    double a = Math.abs(v);
    if (!(a < LIMIT)) {
      return false;
    }
    double whole = Math.floor(a);
    // a - whole is exact (a >= 0) and in [0, 1): its 2^-64 units fit 64 unsigned bits, or
    // round up to 2^64
    double units = Math.rint((a - whole) * TWO_64);
    long hi = (long) whole;
    long lo;
    if (units == TWO_64) {
      hi++;
      lo = 0;
    } else {
      lo = units < 0x1p63 ? (long) units : (long) (units - 0x1p63) | Long.MIN_VALUE;
    }
    if (v < 0) {
      // the 128-bit two's complement: -(hi 2^64 + lo)
      hi = lo == 0 ? -hi : ~hi;
      lo = -lo;
    }
    return addWords(sums, at, hi, lo);
  }

  /** Adds the fixed-point number {@code hi, lo} to the sum at {@code at}; false if it overflows. */
  static boolean addWords(long[] sums, int at, long hi, long lo) {
    long low = sums[at + 1] + lo;
    long carry = Long.compareUnsigned(low, lo) < 0 ? 1 : 0;
    long high;
    try {
      high = Math.addExact(Math.addExact(sums[at], hi), carry);
    } catch (ArithmeticException e) {
      return false;
    }
    sums[at] = high;
    sums[at + 1] = low;
    return true;
  }

  /** The sum at {@code at} as a double, within an ulp (the same on every JVM). */
  static double value(long[] sums, int at) {
    return (double) sums[at] + Math.scalb((double) (sums[at + 1] >>> 11), -53);
  }

  /** The sum at {@code at} in units of 2^-64, exactly. */
  static BigInteger units(long[] sums, int at) {
    return BigInteger.valueOf(sums[at]).shiftLeft(64)
        .add(new BigInteger(Long.toUnsignedString(sums[at + 1])));
  }

  /** The sum at {@code at}, exactly. */
  static BigDecimal exact(long[] sums, int at) {
    return new BigDecimal(units(sums, at)).divide(UNIT);
  }
}
