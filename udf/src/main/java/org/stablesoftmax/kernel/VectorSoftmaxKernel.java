package org.stablesoftmax.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation, at the platform's preferred width. Loaded reflectively by
 * {@link KernelProvider} only when {@code jdk.incubator.vector} is readable, so nothing else
 * links against this class. Each loop is a vector body and the scalar tail of
 * {@link ScalarSoftmaxKernel}, with the same formula per element.
 */
final class VectorSoftmaxKernel implements SoftmaxKernel {

  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  /** Floats with as many lanes as {@link #D}, for widening and narrowing. */
  private static final VectorSpecies<Float> F =
      VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
  private static final int LANES = D.length();

  VectorSoftmaxKernel() {
    if (LANES < 2) {
      throw new UnsupportedOperationException("vectors hold " + LANES + " double");
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
  public double max(double[] x, int off, int len) {
    int bound = D.loopBound(len);
    double m = Double.NEGATIVE_INFINITY;
    if (bound > 0) {
      DoubleVector mv = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
      for (int i = 0; i < bound; i += LANES) {
        mv = mv.max(DoubleVector.fromArray(D, x, off + i));
      }
      m = mv.reduceLanes(VectorOperators.MAX);
    }
    // scalar tail
    return ScalarSoftmaxKernel.maxRange(x, off, bound, len, m);
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
      double[] out, int outOff, ExpSumAccumulator acc) {
    int bound = D.loopBound(len);
    if (bound > 0) {
      if (t == 1.0) {
        expSumBody(x, off, bound, a, k, out, outOff, acc);
      } else {
        expSumBodyScaled(x, off, bound, a, k, t, out, outOff, acc);
      }
    }
    // scalar tail
    ScalarSoftmaxKernel.expSumRange(x, off, bound, len, a, k, t, out, outOff, acc);
  }

  private static void expSumBody(double[] x, int off, int bound, double a, int k,
      double[] out, int outOff, ExpSumAccumulator acc) {
    DoubleVector av = DoubleVector.broadcast(D, a);
    DoubleVector negA = DoubleVector.broadcast(D, -a);
    DoubleVector zero = DoubleVector.zero(D);
    DoubleVector sum = zero;
    DoubleVector comp = zero;
    DoubleVector entropy = zero;
    for (int i = 0; i < bound; i += LANES) {
      DoubleVector xv = DoubleVector.fromArray(D, x, off + i);
      // TwoSum: h + l == x - a exactly
      DoubleVector h = xv.sub(av);
      DoubleVector bb = h.sub(xv);
      DoubleVector l = xv.sub(h.sub(bb)).add(negA.sub(bb));
      // l is NaN only where h is -inf, and exp(h) is 0 there
      l = zero.blend(l, l.abs().compare(VectorOperators.LE, 1.0));
      DoubleVector q = h.max(ScalarSoftmaxKernel.EXP_ARG_FLOOR);
      DoubleVector e = q.lanewise(VectorOperators.EXP);
      e = e.fma(l, e);
      if (out != null) {
        e.intoArray(out, outOff + i);
      }
      if (k >= i && k < i + LANES) {
        e = e.blend(0.0, VectorMask.fromLong(D, 1L << (k - i)));
      }
      entropy = e.fma(q.neg(), entropy);
      // TwoSum per lane: the rounding error of each addition goes to comp
      DoubleVector s = sum.add(e);
      DoubleVector be = s.sub(sum);
      comp = comp.add(sum.sub(s.sub(be)).add(e.sub(be)));
      sum = s;
    }
    reduce(sum, comp, entropy, acc);
  }

  private static void expSumBodyScaled(double[] x, int off, int bound, double a, int k,
      double t, double[] out, int outOff, ExpSumAccumulator acc) {
    DoubleVector av = DoubleVector.broadcast(D, a);
    DoubleVector negA = DoubleVector.broadcast(D, -a);
    DoubleVector tv = DoubleVector.broadcast(D, t);
    DoubleVector invT = DoubleVector.broadcast(D, 1.0 / t);
    DoubleVector zero = DoubleVector.zero(D);
    DoubleVector sum = zero;
    DoubleVector comp = zero;
    DoubleVector entropy = zero;
    for (int i = 0; i < bound; i += LANES) {
      DoubleVector xv = DoubleVector.fromArray(D, x, off + i);
      DoubleVector h = xv.sub(av);
      DoubleVector bb = h.sub(xv);
      DoubleVector l = xv.sub(h.sub(bb)).add(negA.sub(bb));
      // q + r == (h + l) / t: the remainder h - q t is exact
      DoubleVector q = h.mul(invT);
      DoubleVector r = q.neg().fma(tv, h).add(l).mul(invT);
      r = zero.blend(r, r.abs().compare(VectorOperators.LE, 1.0));
      q = q.max(ScalarSoftmaxKernel.EXP_ARG_FLOOR);
      DoubleVector e = q.lanewise(VectorOperators.EXP);
      e = e.fma(r, e);
      if (out != null) {
        e.intoArray(out, outOff + i);
      }
      if (k >= i && k < i + LANES) {
        e = e.blend(0.0, VectorMask.fromLong(D, 1L << (k - i)));
      }
      entropy = e.fma(q.neg(), entropy);
      DoubleVector s = sum.add(e);
      DoubleVector be = s.sub(sum);
      comp = comp.add(sum.sub(s.sub(be)).add(e.sub(be)));
      sum = s;
    }
    reduce(sum, comp, entropy, acc);
  }

  /** Adds the lanes into the accumulator in lane order, so the result is deterministic. */
  private static void reduce(DoubleVector sum, DoubleVector comp, DoubleVector entropy,
      ExpSumAccumulator acc) {
    double[] lanes = acc.lanes;
    sum.intoArray(lanes, 0);
    for (int j = 0; j < LANES; j++) {
      acc.add(lanes[j]);
    }
    acc.comp += comp.reduceLanes(VectorOperators.ADD);
    acc.entropy += entropy.reduceLanes(VectorOperators.ADD);
  }

  @Override
  public void divide(double[] e, int off, int len, double dHi, double dLo, double rcp,
      double[] out, int outOff) {
    int bound = D.loopBound(len);
    DoubleVector negDHi = DoubleVector.broadcast(D, -dHi);
    DoubleVector negDLo = DoubleVector.broadcast(D, -dLo);
    DoubleVector rv = DoubleVector.broadcast(D, rcp);
    for (int i = 0; i < bound; i += LANES) {
      DoubleVector ev = DoubleVector.fromArray(D, e, off + i);
      DoubleVector q = ev.mul(rv);
      DoubleVector rem = q.fma(negDLo, q.fma(negDHi, ev));
      rem.fma(rv, q).intoArray(out, outOff + i);
    }
    // scalar tail
    ScalarSoftmaxKernel.divideRange(e, off, bound, len, dHi, dLo, rcp, out, outOff);
  }

  @Override
  public void logSoftmax(double[] x, int off, int len, double a, double t, double lHi,
      double lLo, double[] out, int outOff) {
    int bound = D.loopBound(len);
    boolean scaled = t != 1.0;
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
      DoubleVector q = h;
      DoubleVector r = l;
      if (scaled) {
        q = h.mul(invT);
        r = q.neg().fma(tv, h).add(l).mul(invT);
      }
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
}
