package org.stablesoftmax.kernel;

import java.util.Arrays;

/**
 * The tests' own emulation of float16 and bfloat16: every finite value of the format, listed
 * from its bit patterns, and rounding to nearest (ties to the even bit pattern) by search. It
 * shares nothing with {@link NaiveDtype#round}.
 */
final class SmallFloats {

  static final SmallFloats FLOAT16 = new SmallFloats(float16Values());
  static final SmallFloats BFLOAT16 = new SmallFloats(bfloat16Values());

  /** The non-negative finite values, ascending; index = bit pattern without the sign. */
  private final double[] values;

  private SmallFloats(double[] values) {
    this.values = values;
  }

  double round(double v) {
    if (Double.isNaN(v) || v == 0.0) {
      return v;
    }
    double a = Math.abs(v);
    double max = values[values.length - 1];
    double result;
    if (a >= max) {
      // above max: the next pattern up would be infinity, 2^(emax+1) = max + ulp(max)
      double next = 2 * max - values[values.length - 2];
      double mid = (max + next) / 2;
      result = a < mid ? max : Double.POSITIVE_INFINITY; // the tie goes to the even pattern: inf
    } else {
      int i = Arrays.binarySearch(values, a);
      if (i >= 0) {
        result = values[i];
      } else {
        int hi = -i - 1;
        int lo = hi - 1;
        double dLo = a - values[lo];
        double dHi = values[hi] - a;
        result = dLo < dHi ? values[lo] : dHi < dLo ? values[hi]
            : (lo % 2 == 0 ? values[lo] : values[hi]);
      }
    }
    return Math.copySign(result, v);
  }

  private static double[] float16Values() {
    double[] v = new double[31 << 10];
    for (int bits = 0; bits < v.length; bits++) {
      int exp = bits >> 10;
      int mant = bits & 0x3FF;
      v[bits] = exp == 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
    }
    return v;
  }

  private static double[] bfloat16Values() {
    double[] v = new double[255 << 7];
    for (int bits = 0; bits < v.length; bits++) {
      v[bits] = Float.intBitsToFloat(bits << 16);
    }
    return v;
  }
}
