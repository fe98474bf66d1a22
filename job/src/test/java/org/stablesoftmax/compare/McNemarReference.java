package org.stablesoftmax.compare;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/** McNemar's exact p-value computed in BigDecimal, for the tests: the references. */
public final class McNemarReference {

  private static final MathContext MC = new MathContext(50);

  private McNemarReference() {}

  /** The p-value exactly, as a fraction: 2 Σ_{i <= k} C(n, i) / 2^n, capped at 1. */
  public static BigDecimal exact(long b01, long b10) {
    int n = (int) (b01 + b10);
    int k = (int) Math.min(b01, b10);
    BigInteger sum = BigInteger.ZERO;
    BigInteger c = BigInteger.ONE;
    for (int i = 0; i <= k; i++) {
      sum = sum.add(c);
      c = c.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
    }
    BigDecimal p = new BigDecimal(sum.shiftLeft(1)).divide(
        new BigDecimal(BigInteger.ONE.shiftLeft(n)), MC);
    return p.min(BigDecimal.ONE);
  }

  /**
   * The p-value to 50 digits for any n: P(X = k) as the product of (n - k + i) / i over i in
   * [1, k] times 2^-n, then the earlier terms by their ratios, each step rounded to 50 digits.
   */
  public static BigDecimal reference(long b01, long b10) {
    long n = b01 + b10;
    long k = Math.min(b01, b10);
    if (2 * k + 1 >= n) {
      return BigDecimal.ONE;
    }
    BigDecimal term = BigDecimal.ONE.divide(new BigDecimal(2).pow((int) n, MC), MC);
    for (long i = 1; i <= k; i++) {
      term = term.multiply(BigDecimal.valueOf(n - k + i)).divide(BigDecimal.valueOf(i), MC);
    }
    BigDecimal sum = term;
    BigDecimal stop = term.movePointLeft(40);
    for (long i = k; i >= 1 && term.compareTo(stop) > 0; i--) {
      term = term.multiply(BigDecimal.valueOf(i)).divide(BigDecimal.valueOf(n - i + 1), MC);
      sum = sum.add(term, MC);
    }
    return sum.multiply(BigDecimal.valueOf(2), MC).min(BigDecimal.ONE);
  }
}
