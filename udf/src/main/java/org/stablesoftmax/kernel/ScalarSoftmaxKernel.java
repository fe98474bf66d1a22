package org.stablesoftmax.kernel;

import java.nio.ByteBuffer;

/**
 * The plain Java implementation. Its range loops also serve as the scalar tails of
 * {@link VectorSoftmaxKernel}, so both share one formula per element.
 */
final class ScalarSoftmaxKernel implements SoftmaxKernel {

  /**
   * Floor for the argument of {@code exp}: {@code exp} of it is 0, like {@code exp(-inf)}, but
   * {@code 0 * floor} is 0 where {@code 0 * -inf} would be NaN.
   */
  static final double EXP_ARG_FLOOR = -0x1p1023;

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public void scan(double[] x, int off, int len, PassState state) {
    state.max = Double.NEGATIVE_INFINITY;
    state.argmax = -1;
    scanRange(x, off, 0, len, state);
  }

  /** Continues a scan over {@code [from, to)}: a later element wins only if larger. */
  static void scanRange(double[] x, int off, int from, int to, PassState state) {
    double m = state.max;
    int k = state.argmax;
    for (int i = from; i < to; i++) {
      double v = x[off + i];
      if (v > m) {
        m = v;
        k = i;
      }
    }
    state.max = m;
    state.argmax = k;
  }

  @Override
  public int indexOf(double[] x, int off, int len, double v) {
    return indexOfRange(x, off, 0, len, v);
  }

  static int indexOfRange(double[] x, int off, int from, int to, double v) {
    boolean nan = Double.isNaN(v);
    for (int i = from; i < to; i++) {
      double xi = x[off + i];
      if (xi == v || (nan && Double.isNaN(xi))) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public int countAbove(double[] x, int from, int to, double v, boolean orEqual) {
    return countAboveRange(x, from, to, v, orEqual);
  }

  static int countAboveRange(double[] x, int from, int to, double v, boolean orEqual) {
    int n = 0;
    if (orEqual) {
      for (int j = from; j < to; j++) {
        n += !(x[j] < v) ? 1 : 0;
      }
    } else {
      for (int j = from; j < to; j++) {
        n += !(x[j] <= v) ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * The lanes both kernels sum in: element {@code i} of a row goes to lane {@code i % LANES},
   * whatever the hardware, so that the scalar and the SIMD kernel give the same bits.
   */
  static final int LANES = 8;

  @Override
  public void expSum(double[] x, int off, int len, double a, int k, double t,
      double[] out, int outOff, PassState acc) {
    double low = a + Exp.FLOOR * t;
    int bound = lanesBound(len, a, t, low);
    if (bound > 0) {
      expSumLanes(x, off, bound, a, k, t, low, out, outOff, acc);
    }
    // tail
    expSumRange(x, off, bound, len, a, k, t, out, outOff, acc);
  }

  /**
   * How much of a row the lane loops take: whole groups of {@link #LANES}, or none where
   * {@code low = a - 746 t} does not come out about 746 t below {@code a} (it overflows, or
   * {@code t} is tiny against the ulp of {@code a}). Raising x to low (x = -inf among others)
   * keeps every intermediate finite, and q within [-746.5, 0], where exp needs no floor.
   */
  static int lanesBound(int len, double a, double t, double low) {
    double gap = (low - a) / t;
    return gap >= -746.5 && gap <= -745.5 ? len & -LANES : 0;
  }

  /**
   * The lane loop, element by element, exactly as {@link VectorSoftmaxKernel} does it with one
   * vector of {@link #LANES} doubles: the same operations, the same rotated order (the group
   * holding {@code k} last), the same reduction.
   */
  private static void expSumLanes(double[] x, int off, int bound, double a, int k, double t,
      double low, double[] out, int outOff, PassState acc) {
    double[] lanes = acc.lanes;
    java.util.Arrays.fill(lanes, 0, 4 * LANES, 0.0);
    double invT = 1.0 / t;
    int kGroup = k < bound ? k - k % LANES : -LANES;
    int i = kGroup + LANES == bound ? 0 : kGroup + LANES;
    for (int done = 0; done < bound; done += LANES) {
      for (int j = 0; j < LANES; j++) {
        double xi = x[off + i + j];
        if (xi < low) {
          xi = low;
        }
        // TwoSum: h + l == xi - a exactly; q + r == (h + l) / t
        double h = xi - a;
        double bb = h - xi;
        double l = (xi - (h - bb)) + (-a - bb);
        double q = h * invT;
        double r = (Math.fma(q, -t, h) + l) * invT;
        double e = Exp.exp(q);
        e = Math.fma(e, r, e);
        if (out != null) {
          out[outOff + i + j] = e;
        }
        lanes[2 * LANES + j] = Math.fma(e, q, lanes[2 * LANES + j]);
        if (i + j != k) {
          lanes[3 * LANES + j] = Math.fma(e, e, lanes[3 * LANES + j]);
        }
        double sum = lanes[j];
        double s = sum + e;
        double be = s - sum;
        lanes[LANES + j] += (sum - (s - be)) + (e - be);
        lanes[j] = s;
      }
      i += LANES;
      if (i == bound) {
        i = 0;
      }
    }
    acc.addLanes(LANES, kGroup >= 0 ? k - kGroup : -1);
  }

  static void expSumRange(double[] x, int off, int from, int to, double a, int k, double t,
      double[] out, int outOff, PassState acc) {
    boolean scaled = t != 1.0;
    double invT = 1.0 / t;
    double entropy = acc.entropy;
    double entropyComp = 0.0;
    double squares = acc.squares;
    double squaresComp = 0.0;
    for (int i = from; i < to; i++) {
      double xi = x[off + i];
      // TwoSum: h + l == xi - a exactly
      double h = xi - a;
      double bb = h - xi;
      double l = (xi - (h - bb)) + (-a - bb);
      double q = h;
      double r = l;
      if (scaled) {
        q = h * invT;
        r = (Math.fma(-q, t, h) + l) * invT;
      }
      // r is NaN or huge only where q is -inf or overflowed, and exp(q) is 0 there
      if (!(Math.abs(r) <= 1.0)) {
        r = 0.0;
      }
      q = Math.max(q, EXP_ARG_FLOOR);
      double e = Exp.exp(q);
      // exp(q + r) = exp(q) * (1 + r) to within r^2
      e = Math.fma(e, r, e);
      if (out != null) {
        out[outOff + i] = e;
      }
      if (i != k) {
        // Kahan: a sequential sum would lose several ulps on long rows
        double y = Math.fma(e, -q, -entropyComp);
        double te = entropy + y;
        entropyComp = (te - entropy) - y;
        entropy = te;
        double y2 = Math.fma(e, e, -squaresComp);
        double ts = squares + y2;
        squaresComp = (ts - squares) - y2;
        squares = ts;
        acc.add(e);
      }
    }
    acc.entropy = entropy - entropyComp;
    acc.squares = squares - squaresComp;
  }

  @Override
  public void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      double[] out, int outOff) {
    divideRange(e, off, 0, len, dHi, dLo, rcp, out, null, outOff);
  }

  @Override
  public void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      float[] out, int outOff) {
    divideRange(e, off, 0, len, dHi, dLo, rcp, null, out, outOff);
  }

  /** Into {@code outD}, or rounded to float into {@code outF}: the other is null. */
  static void divideRange(double[] e, int off, int from, int to, double dHi, double dLo,
      double rcp, double[] outD, float[] outF, int outOff) {
    for (int i = from; i < to; i++) {
      double p = divideTerm(e[off + i], dHi, dLo, rcp);
      if (outF == null) {
        outD[outOff + i] = p;
      } else {
        outF[outOff + i] = (float) p;
      }
    }
  }

  /** {@code e / (dHi + dLo)}: a product by the reciprocal, corrected by its exact remainder. */
  static double divideTerm(double e, double dHi, double dLo, double rcp) {
    double q = e * rcp;
    double rem = Math.fma(-q, dLo, Math.fma(-q, dHi, e));
    return Math.fma(rem, rcp, q);
  }

  @Override
  public void logSoftmax(double[] x, int off, int len, double a, double t, double lHi,
      double lLo, double[] out, int outOff) {
    logSoftmaxRange(x, off, 0, len, a, t, lHi, lLo, out, outOff);
  }

  static void logSoftmaxRange(double[] x, int off, int from, int to, double a, double t,
      double lHi, double lLo, double[] out, int outOff) {
    double invT = 1.0 / t;
    for (int i = from; i < to; i++) {
      out[outOff + i] = logSoftmaxTerm(x[off + i], a, t, invT, lHi, lLo);
    }
  }

  /** {@code (x - a) / t - (lHi + lLo)}, from the exact pieces of each side. */
  static double logSoftmaxTerm(double x, double a, double t, double invT, double lHi,
      double lLo) {
    double h = x - a;
    double bb = h - x;
    double l = (x - (h - bb)) + (-a - bb);
    double q = h;
    double r = l;
    if (t != 1.0) {
      q = h * invT;
      r = (Math.fma(-q, t, h) + l) * invT;
    }
    if (q == Double.NEGATIVE_INFINITY) {
      return q;
    }
    // TwoSum: s + err == q - lHi exactly
    double s = q - lHi;
    double bs = s - q;
    double err = (q - (s - bs)) + (-lHi - bs);
    return s + ((err + r) - lLo);
  }

  @Override
  public void widen(float[] src, int srcOff, int len, double[] dst, int dstOff) {
    for (int i = 0; i < len; i++) {
      dst[dstOff + i] = src[srcOff + i];
    }
  }

  @Override
  public void narrow(double[] src, int srcOff, int len, float[] dst, int dstOff) {
    for (int i = 0; i < len; i++) {
      dst[dstOff + i] = (float) src[srcOff + i];
    }
  }

  @Override
  public void load(ByteBuffer src, int element, int len, BufferElement type, double[] dst,
      int dstOff) {
    loadRange(src, element, 0, len, type, dst, dstOff);
  }

  /** {@link #load} of the row's elements {@code [from, to)}; the buffer is little-endian. */
  static void loadRange(ByteBuffer src, int element, int from, int to, BufferElement type,
      double[] dst, int dstOff) {
    if (type == BufferElement.FLOAT32) {
      for (int i = from; i < to; i++) {
        dst[dstOff + i] = src.getFloat((element + i) * Float.BYTES);
      }
    } else {
      for (int i = from; i < to; i++) {
        dst[dstOff + i] = src.getDouble((element + i) * Double.BYTES);
      }
    }
  }

  @Override
  public void store(double[] src, int srcOff, int len, ByteBuffer dst, int element,
      BufferElement type) {
    storeRange(src, srcOff, 0, len, dst, element, type);
  }

  /** {@link #store} of the row's elements {@code [from, to)}; the buffer is little-endian. */
  static void storeRange(double[] src, int srcOff, int from, int to, ByteBuffer dst,
      int element, BufferElement type) {
    if (type == BufferElement.FLOAT32) {
      for (int i = from; i < to; i++) {
        dst.putFloat((element + i) * Float.BYTES, (float) src[srcOff + i]);
      }
    } else {
      for (int i = from; i < to; i++) {
        dst.putDouble((element + i) * Double.BYTES, src[srcOff + i]);
      }
    }
  }
}
