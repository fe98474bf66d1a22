package org.stablesoftmax.kernel;

/**
 * The kernel's own {@code exp}, for arguments {@code <= 0} (the kernel never needs others), in
 * plain IEEE operations that give the same bits wherever they run: interpreted, compiled, in a
 * vector lane or not. The Vector API's {@code EXP} does not: compiled, it is a different library
 * from its interpreted fallback, and the two disagree in the last bit on about 5% of inputs, so a
 * row's result would depend on how warm the JIT was. {@link VectorSoftmaxKernel} computes the
 * same sequence lane-wise.
 *
 * <p>Method: {@code q = n ln2 + r}, with {@code n} the nearest integer to {@code q / ln2} and
 * {@code |r| <= ln2 / 2} (Cody and Waite), {@code r} kept with its rounding error;
 * {@code exp(r) = 1 + r + r^2 (1/2! + r/3! + ... + r^11/13!)}, truncated below 2^-57, with
 * {@code 1 + r} kept exact until the last addition; then a scaling by a power of two that
 * rounds once. Within 0.6 ulps of exact in the tests (subnormal results, rounded twice: within
 * one least subnormal); arguments below {@link #FLOOR} give 0, NaN gives NaN.
 */
final class Exp {

  /** Below this, exp rounds to 0; raising an argument to it keeps 2^n in range. */
  static final double FLOOR = -746.0;
  static final double LOG2E = 0x1.71547652b82fep0;
  /** 1.5 * 2^52: adding it rounds to an integer. */
  static final double SHIFT = 0x1.8p52;
  static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);
  static final double TWO_M54 = 0x1p-54;
  /**
   * -ln2, split: a high part with 12 trailing zero bits, so that {@code n * hi} and
   * {@code q - n * hi} are exact for {@code |n| < 2^11} (Cody and Waite), and the rest.
   */
  static final double NEG_LN2_HI = -0x1.62e42fefa3000p-1;
  static final double NEG_LN2_LO = -0x1.3de6af278ece6p-42;
  /** 1/k! for k = 2 .. 13. */
  static final double C2 = 0x1.0p-1;
  static final double C3 = 1.0 / 6;
  static final double C4 = 1.0 / 24;
  static final double C5 = 1.0 / 120;
  static final double C6 = 1.0 / 720;
  static final double C7 = 1.0 / 5040;
  static final double C8 = 1.0 / 40320;
  static final double C9 = 1.0 / 362880;
  static final double C10 = 1.0 / 3628800;
  static final double C11 = 1.0 / 39916800;
  static final double C12 = 1.0 / 479001600;
  static final double C13 = 1.0 / 6227020800.0;

  private Exp() {}

  /** {@code exp(q)} for {@code q <= 0} (or NaN). */
  static double exp(double q) {
    if (q < FLOOR) {
      q = FLOOR;
    }
    double t = Math.fma(q, LOG2E, SHIFT);
    double n = t - SHIFT;
    double rHi = Math.fma(n, NEG_LN2_HI, q);
    double r = Math.fma(n, NEG_LN2_LO, rHi);
    // what rounding r lost: rHi - r is exact, being small against both
    double rr = Math.fma(n, NEG_LN2_LO, rHi - r);
    double poly = C13;
    poly = Math.fma(poly, r, C12);
    poly = Math.fma(poly, r, C11);
    poly = Math.fma(poly, r, C10);
    poly = Math.fma(poly, r, C9);
    poly = Math.fma(poly, r, C8);
    poly = Math.fma(poly, r, C7);
    poly = Math.fma(poly, r, C6);
    poly = Math.fma(poly, r, C5);
    poly = Math.fma(poly, r, C4);
    poly = Math.fma(poly, r, C3);
    poly = Math.fma(poly, r, C2);
    // 1 + r exactly as hi + lo, so that only the last addition rounds at the result's scale
    double hi = 1.0 + r;
    double lo = r - (hi - 1.0);
    // exp(r + rr) = exp(r) (1 + rr): rr * exp(r) is rr * hi, to well below an ulp
    double e = hi + Math.fma(r * r, poly, Math.fma(hi, rr, lo));
    // e 2^n as (e 2^(n + 54)) 2^-54: the first product is exact (n + 54 >= -1022), the second
    // rounds once, also into the subnormal range. n as a long from t's bits (t = 1.5 2^52 + n),
    // as the vector code does: it has no cheap double-to-long conversion
    long biased = Double.doubleToRawLongBits(t) - SHIFT_BITS + (1023 + 54);
    return e * Double.longBitsToDouble(biased << 52) * TWO_M54;
  }
}
