package org.stablesoftmax.kernel;

import java.nio.ByteBuffer;

/**
 * The loops over one row that a SIMD implementation can speed up. Everything else (the row's
 * logic, its special cases and every derived quantity) lives in {@link SoftmaxRow} and is shared
 * by all implementations. Both implementations compute the same formulas, with the same
 * {@link Exp}; they may differ in the last bit only through the order of summation.
 *
 * <p>Notation: the row is {@code x[off .. off+len)}, {@code a} its (finite) maximum, {@code t}
 * the temperature, {@code z_i = (x_i - a) / t <= 0} the shifted, scaled logit. Each {@code z_i}
 * is carried as an unevaluated sum {@code q_i + r_i}: {@code q_i} the rounded value, {@code r_i}
 * its rounding error (TwoSum of {@code x_i - a}, then the exact remainder of the division).
 */
interface SoftmaxKernel {

  /** A short name for logs: "scalar" or "simd-512" etc. */
  String name();

  /**
   * Sets {@code state.max} to the largest element that is not NaN ({@code -inf} if there is
   * none) and {@code state.argmax} to the first index holding it (-1 if the maximum is
   * {@code -inf}). NaN is ignored here: callers learn of it from {@link #indexOf} or from
   * {@link #expSum}'s sum, which it makes NaN.
   */
  void scan(double[] x, int off, int len, PassState state);

  /**
   * The first index {@code i} in {@code [0, len)} with {@code x[off + i] == v}, or where both are
   * NaN; -1 if there is none.
   */
  int indexOf(double[] x, int off, int len, double v);

  /**
   * The number of indices {@code j} in {@code [from, to)} with {@code x[j] > v}, or
   * {@code x[j] >= v} if {@code orEqual}, or {@code x[j]} NaN ({@code v} is not NaN).
   */
  int countAbove(double[] x, int from, int to, double v, boolean orEqual);

  /**
   * Adds {@code e_i = exp(q_i) * (1 + r_i)} over {@code i != k} to {@code acc.sum}/{@code acc.comp}
   * (compensated), and {@code e_i * -q_i} to {@code acc.entropy}. When {@code out} is not null,
   * stores every {@code e_i} there ({@code e_k = 1}). A NaN element makes the sum NaN.
   */
  void expSum(double[] x, int off, int len, double a, int k, double t,
      double[] out, int outOff, PassState acc);

  /**
   * {@code out_i = e_i / (dHi + dLo)}, with {@code rcp = 1 / dHi} given. {@code out} may be
   * {@code e}.
   */
  void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      double[] out, int outOff);

  /** {@code out_i = z_i - (lHi + lLo)}, and {@code -inf} where {@code q_i = -inf}. */
  void logSoftmax(double[] x, int off, int len, double a, double t, double lHi, double lLo,
      double[] out, int outOff);

  /** Widens floats to doubles. */
  void widen(float[] src, int srcOff, int len, double[] dst, int dstOff);

  /** {@link #divide}, rounding the quotients to float. */
  void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      float[] out, int outOff);

  /** Narrows doubles to floats, rounding to nearest. */
  void narrow(double[] src, int srcOff, int len, float[] dst, int dstOff);

  /**
   * Reads {@code len} elements of {@code type} from {@code src}, starting at element
   * {@code element} (byte {@code element * type.bytes()} from index 0, little-endian), into
   * {@code dst}: floats widened, doubles copied. {@code src} is little-endian-ordered and the
   * range lies within its limit (the caller checks); its position and limit are not used.
   */
  void load(ByteBuffer src, int element, int len, BufferElement type, double[] dst, int dstOff);

  /**
   * Writes {@code src} into {@code len} elements of {@code type} of {@code dst} from element
   * {@code element} on (little-endian): rounded to nearest float for {@link BufferElement#FLOAT32},
   * as {@link #narrow}, copied for {@link BufferElement#FLOAT64}. Same conditions as {@link #load}.
   */
  void store(double[] src, int srcOff, int len, ByteBuffer dst, int element, BufferElement type);
}
