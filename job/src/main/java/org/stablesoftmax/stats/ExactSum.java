package org.stablesoftmax.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The exact sum of doubles: a superaccumulator after Neal (2015), "Fast exact summation using
 * small and large superaccumulators" (arXiv:1505.05571), in its simplest form. Every finite
 * double is a multiple of 2^-1074 below 2^1024, so the sum is held as a signed fixed-point number
 * of 2,098 bits in 32-bit digits, each kept in a {@code long} so that carries can wait: adding is
 * three integer additions, with no rounding at all. The result is therefore the same, to the last
 * bit, whatever the order of the additions and however the values were split between partial
 * sums that are then {@linkplain #add(ExactSum) merged}. {@link #doubleValue()} rounds the exact
 * sum once, to nearest.
 *
 * <p>Infinities and NaN are counted apart and give the IEEE result ({@code +inf}, {@code -inf},
 * or NaN for NaN or for both infinities). An empty sum is {@code +0.0}.
 *
 * <p>Not thread-safe.
 */
public final class ExactSum implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Digits of 32 bits: bit 0 of digit 0 is 2^-1074; 2^1024 and beyond fit below digit 68. */
  private static final int DIGITS = 68;
  private static final long MASK = 0xFFFF_FFFFL;
  /** Additions between carry propagations: each adds less than 2^32 to a digit. */
  private static final int ADDS_BEFORE_CARRY = 1 << 30;

  private final long[] digits = new long[DIGITS];
  private int pending;
  private long posInf;
  private long negInf;
  private long nan;

  /** Adds {@code v} exactly. */
  public void add(double v) {
    long bits = Double.doubleToRawLongBits(v);
    int exp = (int) (bits >>> 52) & 0x7FF;
    long mantissa = bits & 0x000F_FFFF_FFFF_FFFFL;
    if (exp == 0x7FF) {
      if (mantissa != 0) {
        nan++;
      } else if (bits < 0) {
        negInf++;
      } else {
        posInf++;
      }
      return;
    }
    if (exp == 0) {
      if (mantissa == 0) {
        return;
      }
      exp = 1; // subnormal: no implicit bit
    } else {
      mantissa |= 1L << 52;
    }
    // v = ± mantissa * 2^(exp - 1075): bit position exp - 1 of the fixed-point number
    int pos = exp - 1;
    int d = pos >>> 5;
    int s = pos & 31;
    long lo = (mantissa << s) & MASK;
    long rest = mantissa >>> (32 - s);
    if (bits < 0) {
      digits[d] -= lo;
      digits[d + 1] -= rest & MASK;
      digits[d + 2] -= rest >>> 32;
    } else {
      digits[d] += lo;
      digits[d + 1] += rest & MASK;
      digits[d + 2] += rest >>> 32;
    }
    if (++pending == ADDS_BEFORE_CARRY) {
      carry();
    }
  }

  /**
   * Adds the product {@code a * b} exactly, as its rounded value and the remainder (two-product
   * with fma); a product that is not finite, or below the normal range, as it rounds.
   */
  public void addProduct(double a, double b) {
    double p = a * b;
    add(p);
    if (Double.isFinite(p) && Math.abs(p) >= Double.MIN_NORMAL * 0x1p53) {
      add(Math.fma(a, b, -p));
    }
  }

  /** Adds another sum exactly (merging partial sums); {@code other} is unchanged. */
  public void add(ExactSum other) {
    if (other == this) {
      throw new IllegalArgumentException("cannot add an ExactSum to itself");
    }
    carry();
    other.carry();
    for (int i = 0; i < DIGITS; i++) {
      digits[i] += other.digits[i];
    }
    carry();
    posInf += other.posInf;
    negInf += other.negInf;
    nan += other.nan;
  }

  /** Propagates carries: every digit but the top one in [0, 2^32), the sign in the top one. */
  private void carry() {
    for (int i = 0; i < DIGITS - 1; i++) {
      long c = digits[i] >> 32;
      digits[i] -= c << 32;
      digits[i + 1] += c;
    }
    pending = 0;
  }

  /** Whether only finite values were added. */
  public boolean isFinite() {
    return posInf == 0 && negInf == 0 && nan == 0;
  }

  /** The exact sum of the finite values added. */
  public BigDecimal finiteValue() {
    carry();
    BigInteger n = BigInteger.valueOf(digits[DIGITS - 1]);
    for (int i = DIGITS - 2; i >= 0; i--) {
      n = n.shiftLeft(32).or(BigInteger.valueOf(digits[i]));
    }
    // 2^-1074 = 5^1074 / 10^1074, exactly
    return new BigDecimal(n.multiply(BigInteger.valueOf(5).pow(1074)), 1074);
  }

  /** The sum rounded once to the nearest double (IEEE results for infinities and NaN). */
  public double doubleValue() {
    if (nan > 0 || posInf > 0 && negInf > 0) {
      return Double.NaN;
    }
    if (posInf > 0) {
      return Double.POSITIVE_INFINITY;
    }
    if (negInf > 0) {
      return Double.NEGATIVE_INFINITY;
    }
    BigDecimal exact = finiteValue();
    // BigDecimal.doubleValue rounds to nearest, and overflows to infinity as IEEE addition would
    return exact.signum() == 0 ? 0.0 : exact.doubleValue();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ExactSum)) {
      return false;
    }
    ExactSum that = (ExactSum) o;
    carry();
    that.carry();
    return Arrays.equals(digits, that.digits) && posInf == that.posInf
        && negInf == that.negInf && nan == that.nan;
  }

  @Override
  public int hashCode() {
    carry();
    return Arrays.hashCode(digits) * 31 + Long.hashCode(posInf + 3 * negInf + 7 * nan);
  }

  @Override
  public String toString() {
    return "ExactSum[" + doubleValue() + "]";
  }
}
