package org.stablesoftmax.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation, with 512-bit vectors: 8 doubles, the {@link
 * ScalarSoftmaxKernel#LANES} lanes both kernels sum in, so that both give the same bits. Loaded
 * reflectively by {@link KernelProvider} only when {@code jdk.incubator.vector} is readable, so
 * nothing else links against this class; where vectors are narrower, its constructor refuses and
 * the scalar kernel runs. Each loop is a vector body and the scalar tail of
 * {@link ScalarSoftmaxKernel}, with the same formula per element.
 */
final class VectorSoftmaxKernel implements SoftmaxKernel {

  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  /** Floats with as many lanes as {@link #D}, for widening and narrowing. */
  private static final VectorSpecies<Float> F =
      VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
  private static final int LANES = D.length();
  /** 0, 1, 2, ...: each lane's index (not for loop-carried vectors: those it would box). */
  private static final DoubleVector IOTA = DoubleVector.zero(D).addIndex(1);

  VectorSoftmaxKernel() {
    if (LANES != ScalarSoftmaxKernel.LANES) {
      throw new UnsupportedOperationException("the SIMD kernel sums in "
          + ScalarSoftmaxKernel.LANES + " lanes, and this CPU's vectors hold " + LANES
          + " doubles");
    }
  }

  static int lanes() {
    return LANES;
  }

  @Override
  public String name() {
    return "simd-" + D.vectorBitSize();
  }

  @Override
  public void scan(double[] x, int off, int len, PassState state) {
    // two vectors per step, each with its own maximum: the loop is bound by latency otherwise
    int bound = D.loopBound(len) & -(2 * LANES);
    state.max = Double.NEGATIVE_INFINITY;
    state.argmax = -1;
    if (bound > 0) {
      DoubleVector m0 = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
      DoubleVector m1 = m0;
      // per lane, the start of the vector where its maximum was first seen: the index is that
      // plus the lane (kept as a double, exact below 2^53; a loop-carried index vector built by
      // addIndex would be boxed in every iteration)
      DoubleVector k0 = DoubleVector.broadcast(D, -1.0);
      DoubleVector k1 = k0;
      for (int i = 0; i < bound; i += 2 * LANES) {
        DoubleVector v0 = DoubleVector.fromArray(D, x, off + i);
        DoubleVector v1 = DoubleVector.fromArray(D, x, off + i + LANES);
        VectorMask<Double> up0 = v0.compare(VectorOperators.GT, m0);
        VectorMask<Double> up1 = v1.compare(VectorOperators.GT, m1);
        k0 = k0.blend(i, up0);
        m0 = m0.blend(v0, up0);
        k1 = k1.blend(i + LANES, up1);
        m1 = m1.blend(v1, up1);
      }
      // the largest lane; among lanes that hold it, the first index
      double m = m0.max(m1).reduceLanes(VectorOperators.MAX);
      if (m > Double.NEGATIVE_INFINITY) {
        DoubleVector first0 = k0.add(IOTA)
            .blend(Double.POSITIVE_INFINITY, m0.compare(VectorOperators.NE, m));
        DoubleVector first1 = k1.add(IOTA)
            .blend(Double.POSITIVE_INFINITY, m1.compare(VectorOperators.NE, m));
        state.max = m;
        state.argmax = (int) first0.min(first1).reduceLanes(VectorOperators.MIN);
      }
    }
    // scalar tail
    ScalarSoftmaxKernel.scanRange(x, off, bound, len, state);
  }

  @Override
  public int countAbove(double[] x, int from, int to, double v, boolean orEqual) {
    // a NaN element compares false, so it counts; each loop has its comparison as a constant,
    // which C2 needs to compile it to vector instructions
    int n = 0;
    int i = from;
    if (orEqual) {
      for (; i <= to - LANES; i += LANES) {
        n += LANES - DoubleVector.fromArray(D, x, i).compare(VectorOperators.LT, v).trueCount();
      }
    } else {
      for (; i <= to - LANES; i += LANES) {
        n += LANES - DoubleVector.fromArray(D, x, i).compare(VectorOperators.LE, v).trueCount();
      }
    }
    // scalar tail
    return n + ScalarSoftmaxKernel.countAboveRange(x, i, to, v, orEqual);
  }

  @Override
  public int indexOf(double[] x, int off, int len, double v) {
    int bound = D.loopBound(len);
    boolean nan = Double.isNaN(v);
    for (int i = 0; i < bound; i += LANES) {
      DoubleVector xv = DoubleVector.fromArray(D, x, off + i);
      VectorMask<Double> hit = nan ? xv.test(VectorOperators.IS_NAN) : xv.eq(v);
      if (hit.anyTrue()) {
        return i + hit.firstTrue();
      }
    }
    // scalar tail
    return ScalarSoftmaxKernel.indexOfRange(x, off, bound, len, v);
  }

  @Override
  public void expSum(double[] x, int off, int len, double a, int k, double t,
      double[] out, int outOff, PassState acc) {
    double low = a + Exp.FLOOR * t;
    int bound = ScalarSoftmaxKernel.lanesBound(len, a, t, low);
    if (bound > 0) {
      expSumBody(x, off, bound, a, k, t, low, out, outOff, acc);
    }
    // scalar tail
    ScalarSoftmaxKernel.expSumRange(x, off, bound, len, a, k, t, out, outOff, acc);
  }

  /**
   * The vector body of {@link #expSum}: {@code z = q + r = (h + l) / t}, with {@code h + l = x - a}
   * exactly; at {@code t = 1}, {@code q = h} and {@code r = l} exactly.
   *
   * <p>{@code e_k} is not left out lane by lane: the vectors are visited in a rotated order that
   * ends with the one holding {@code k}, so {@code e_k = exp(0) = 1} is the last addition to its
   * lane, and 1 is subtracted from that lane afterwards, exactly. TwoSum has kept the lane's
   * earlier, smaller terms and the error of that last addition apart, so nothing is lost.
   *
   * <p>{@code exp} is {@link Exp#exp}, written out here: C2 (JDK 17) boxes a vector passed to or
   * returned from a call it does not inline, and one merged from two branches, in every
   * iteration; so vectors never leave this method and the loop has no branch.
   */
  private static void expSumBody(double[] x, int off, int bound, double a, int k,
      double t, double low, double[] out, int outOff, PassState acc) {
    DoubleVector av = DoubleVector.broadcast(D, a);
    DoubleVector negA = DoubleVector.broadcast(D, -a);
    DoubleVector negT = DoubleVector.broadcast(D, -t);
    DoubleVector invT = DoubleVector.broadcast(D, 1.0 / t);
    DoubleVector lowV = DoubleVector.broadcast(D, low);
    DoubleVector negLn2Hi = DoubleVector.broadcast(D, Exp.NEG_LN2_HI);
    DoubleVector negLn2Lo = DoubleVector.broadcast(D, Exp.NEG_LN2_LO);
    DoubleVector c11 = DoubleVector.broadcast(D, Exp.C11);
    DoubleVector c10 = DoubleVector.broadcast(D, Exp.C10);
    DoubleVector c9 = DoubleVector.broadcast(D, Exp.C9);
    DoubleVector c8 = DoubleVector.broadcast(D, Exp.C8);
    DoubleVector c7 = DoubleVector.broadcast(D, Exp.C7);
    DoubleVector c6 = DoubleVector.broadcast(D, Exp.C6);
    DoubleVector c5 = DoubleVector.broadcast(D, Exp.C5);
    DoubleVector c4 = DoubleVector.broadcast(D, Exp.C4);
    DoubleVector c3 = DoubleVector.broadcast(D, Exp.C3);
    DoubleVector c2 = DoubleVector.broadcast(D, Exp.C2);
    DoubleVector zero = DoubleVector.zero(D);
    DoubleVector sum = zero;
    DoubleVector comp = zero;
    DoubleVector entropy = zero;
    DoubleVector squares = zero;
    // the squares before the last vector's: lane k - kVector of the last holds e_k = 1
    DoubleVector squaresBefore = zero;
    int kVector = k < bound ? k - k % LANES : -LANES;
    int i = kVector + LANES == bound ? 0 : kVector + LANES;
    for (int done = 0; done < bound; done += LANES) {
      DoubleVector xv = DoubleVector.fromArray(D, x, off + i);
      xv = xv.blend(lowV, xv.compare(VectorOperators.LT, lowV));
      DoubleVector h = xv.sub(av);
      DoubleVector bb = h.sub(xv);
      DoubleVector l = xv.sub(h.sub(bb)).add(negA.sub(bb));
      // the remainder h - q t is exact
      DoubleVector q = h.mul(invT);
      DoubleVector r = q.fma(negT, h).add(l).mul(invT);
      // e = exp(q), as Exp.exp (q >= Exp.FLOOR, up to rounding, so no floor here): q = n ln2
      // + (r2 + rr), |r2| <= ln2 / 2
      DoubleVector shifted = q.fma(Exp.LOG2E, Exp.SHIFT);
      DoubleVector n = shifted.sub(Exp.SHIFT);
      DoubleVector r2Hi = n.fma(negLn2Hi, q);
      DoubleVector r2 = n.fma(negLn2Lo, r2Hi);
      DoubleVector rr = n.fma(negLn2Lo, r2Hi.sub(r2));
      DoubleVector poly = r2.fma(Exp.C13, Exp.C12);
      poly = poly.fma(r2, c11);
      poly = poly.fma(r2, c10);
      poly = poly.fma(r2, c9);
      poly = poly.fma(r2, c8);
      poly = poly.fma(r2, c7);
      poly = poly.fma(r2, c6);
      poly = poly.fma(r2, c5);
      poly = poly.fma(r2, c4);
      poly = poly.fma(r2, c3);
      poly = poly.fma(r2, c2);
      DoubleVector one = r2.add(1.0);
      DoubleVector e = one.add(r2.mul(r2).fma(poly, one.fma(rr, r2.sub(one.sub(1.0)))));
      // e 2^n = (e 2^(n + 54)) 2^-54, n from the bits of shifted = 1.5 2^52 + n (JDK 17 does not
      // compile D2L: it boxes)
      e = e.mul(shifted.reinterpretAsLongs().add((1023 + 54) - Exp.SHIFT_BITS)
          .lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles()).mul(Exp.TWO_M54);
      e = e.fma(r, e);
      if (out != null) {
        e.intoArray(out, outOff + i);
      }
      entropy = e.fma(q, entropy);
      squaresBefore = squares;
      squares = e.fma(e, squares);
      DoubleVector s = sum.add(e);
      DoubleVector be = s.sub(sum);
      comp = comp.add(sum.sub(s.sub(be)).add(e.sub(be)));
      sum = s;
      i += LANES;
      if (i == bound) {
        i = 0;
      }
    }
    // reduce here (a vector passed to another method is boxed in every iteration), in the
    // fixed order both kernels share
    sum.intoArray(acc.lanes, 0);
    comp.intoArray(acc.lanes, LANES);
    entropy.intoArray(acc.lanes, 2 * LANES);
    squares.intoArray(acc.lanes, 3 * LANES);
    if (kVector >= 0) {
      squaresBefore.intoArray(acc.lanes, 4 * LANES);
      acc.lanes[3 * LANES + k - kVector] = acc.lanes[4 * LANES + k - kVector];
    }
    acc.addLanes(LANES, kVector >= 0 ? k - kVector : -1);
  }

  @Override
  public void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      double[] out, int outOff) {
    divide(e, off, len, dHi, dLo, rcp, out, null, outOff);
  }

  @Override
  public void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      float[] out, int outOff) {
    divide(e, off, len, dHi, dLo, rcp, null, out, outOff);
  }

  /** Into {@code outD}, or rounded to float into {@code outF}: the other is null. */
  private static void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      double[] outD, float[] outF, int outOff) {
    int bound = D.loopBound(len);
    DoubleVector negDHi = DoubleVector.broadcast(D, -dHi);
    DoubleVector negDLo = DoubleVector.broadcast(D, -dLo);
    DoubleVector rv = DoubleVector.broadcast(D, rcp);
    for (int i = 0; i < bound; i += LANES) {
      DoubleVector ev = DoubleVector.fromArray(D, e, off + i);
      DoubleVector q = ev.mul(rv);
      DoubleVector rem = q.fma(negDLo, q.fma(negDHi, ev));
      DoubleVector p = rem.fma(rv, q);
      if (outF == null) {
        p.intoArray(outD, outOff + i);
      } else {
        ((FloatVector) p.convertShape(VectorOperators.D2F, F, 0)).intoArray(outF, outOff + i);
      }
    }
    // scalar tail
    ScalarSoftmaxKernel.divideRange(e, off, bound, len, dHi, dLo, rcp, outD, outF, outOff);
  }

  @Override
  public void logSoftmax(double[] x, int off, int len, double a, double t, double lHi,
      double lLo, double[] out, int outOff) {
    int bound = D.loopBound(len);
    DoubleVector av = DoubleVector.broadcast(D, a);
    DoubleVector negA = DoubleVector.broadcast(D, -a);
    DoubleVector tv = DoubleVector.broadcast(D, t);
    DoubleVector invT = DoubleVector.broadcast(D, 1.0 / t);
    DoubleVector lh = DoubleVector.broadcast(D, lHi);
    DoubleVector negLh = DoubleVector.broadcast(D, -lHi);
    DoubleVector ll = DoubleVector.broadcast(D, lLo);
    for (int i = 0; i < bound; i += LANES) {
      DoubleVector xv = DoubleVector.fromArray(D, x, off + i);
      DoubleVector h = xv.sub(av);
      DoubleVector bb = h.sub(xv);
      DoubleVector l = xv.sub(h.sub(bb)).add(negA.sub(bb));
      // with t = 1 this is q = h and r = l exactly; no branch, as merged vectors get boxed
      DoubleVector q = h.mul(invT);
      DoubleVector r = q.neg().fma(tv, h).add(l).mul(invT);
      // TwoSum: s + err == q - lHi exactly
      DoubleVector s = q.sub(lh);
      DoubleVector bs = s.sub(q);
      DoubleVector err = q.sub(s.sub(bs)).add(negLh.sub(bs));
      DoubleVector res = s.add(err.add(r).sub(ll));
      res = res.blend(Double.NEGATIVE_INFINITY, q.eq(Double.NEGATIVE_INFINITY));
      res.intoArray(out, outOff + i);
    }
    // scalar tail
    ScalarSoftmaxKernel.logSoftmaxRange(x, off, bound, len, a, t, lHi, lLo, out, outOff);
  }

  @Override
  public void widen(float[] src, int srcOff, int len, double[] dst, int dstOff) {
    int bound = D.loopBound(len);
    for (int i = 0; i < bound; i += LANES) {
      ((DoubleVector) FloatVector.fromArray(F, src, srcOff + i)
          .convertShape(VectorOperators.F2D, D, 0))
          .intoArray(dst, dstOff + i);
    }
    // scalar tail
    for (int i = bound; i < len; i++) {
      dst[dstOff + i] = src[srcOff + i];
    }
  }

  @Override
  public void narrow(double[] src, int srcOff, int len, float[] dst, int dstOff) {
    int bound = D.loopBound(len);
    for (int i = 0; i < bound; i += LANES) {
      ((FloatVector) DoubleVector.fromArray(D, src, srcOff + i)
          .convertShape(VectorOperators.D2F, F, 0))
          .intoArray(dst, dstOff + i);
    }
    // scalar tail
    for (int i = bound; i < len; i++) {
      dst[dstOff + i] = (float) src[srcOff + i];
    }
  }

  @Override
  public void load(ByteBuffer src, int element, int len, BufferElement type, double[] dst,
      int dstOff) {
    int bound = D.loopBound(len);
    if (type == BufferElement.FLOAT32) {
      for (int i = 0; i < bound; i += LANES) {
        ((DoubleVector) FloatVector.fromByteBuffer(F, src, (element + i) * Float.BYTES,
                ByteOrder.LITTLE_ENDIAN)
            .convertShape(VectorOperators.F2D, D, 0))
            .intoArray(dst, dstOff + i);
      }
    } else {
      for (int i = 0; i < bound; i += LANES) {
        DoubleVector.fromByteBuffer(D, src, (element + i) * Double.BYTES, ByteOrder.LITTLE_ENDIAN)
            .intoArray(dst, dstOff + i);
      }
    }
    // scalar tail
    ScalarSoftmaxKernel.loadRange(src, element, bound, len, type, dst, dstOff);
  }

  @Override
  public void store(double[] src, int srcOff, int len, ByteBuffer dst, int element,
      BufferElement type) {
    int bound = D.loopBound(len);
    if (type == BufferElement.FLOAT32) {
      for (int i = 0; i < bound; i += LANES) {
        ((FloatVector) DoubleVector.fromArray(D, src, srcOff + i)
            .convertShape(VectorOperators.D2F, F, 0))
            .intoByteBuffer(dst, (element + i) * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
      }
    } else {
      for (int i = 0; i < bound; i += LANES) {
        DoubleVector.fromArray(D, src, srcOff + i)
            .intoByteBuffer(dst, (element + i) * Double.BYTES, ByteOrder.LITTLE_ENDIAN);
      }
    }
    // scalar tail
    ScalarSoftmaxKernel.storeRange(src, srcOff, bound, len, dst, element, type);
  }
}
