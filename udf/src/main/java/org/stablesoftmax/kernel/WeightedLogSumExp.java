package org.stablesoftmax.kernel;

/**
 * {@code log |Σ_i b_i exp(x_i)|} and the sign of the sum, as SciPy's
 * {@code scipy.special.logsumexp(a, b=b, return_sign=True)}: weights may be zero (the term is
 * left out, whatever {@code x_i} is, so {@code b} masks) or negative.
 *
 * <p>With {@code m} the largest {@code x_i} whose {@code b_i} is not 0 and {@code h_i = x_i - m}
 * (exact, as an unevaluated sum), the sum is {@code exp(m) S} with {@code S = Σ b_i exp(h_i)},
 * and {@code S - 1} is accumulated in double-double: {@code b_i + b_i expm1(h_i)} for the terms
 * near the top ({@code h_i > -ln 2}), {@code b_i exp(h_i)} below, each product exact (two-product)
 * and each addition exact (TwoSum). So where all weights have one sign, the result is within 2
 * ulps of {@code max(|result|, |m|)}, also where {@code S} is near 1 and its log near 0.
 *
 * <p>Where weights of both signs cancel, the sum loses relative accuracy: each term carries the
 * error of its {@code exp} (an ulp or less), so the result's absolute error is about
 * {@code κ} ulps of 1, with {@code κ = Σ |b_i| exp(h_i) / |S|} the sum's condition number; an
 * exact cancellation gives {@code -inf} and sign 0, as in SciPy.
 *
 * <p>Special values follow SciPy and PyTorch: a NaN in {@code x} or {@code b} (where {@code b} is
 * not 0) gives NaN and sign NaN; an infinite term (a {@code +inf} in {@code x}, or an infinite
 * weight on a finite {@code x}) gives {@code +inf} with the sign of its weight (NaN if infinite
 * terms have both signs, or for an infinite weight on {@code x = -inf}); a row with no term (empty, all
 * weights 0, or all {@code x_i = -inf}) gives {@code -inf} and sign 0. A sum beyond the double
 * range of {@code S} (weights near 1e308) gives {@code +inf}.
 *
 * <p>Reusable, allocation-free; not thread-safe.
 */
public final class WeightedLogSumExp {

  /** Below this {@code h}, {@code exp(h) <= 1/2}: the term is added as it is, not via expm1. */
  private static final double NEAR = -0x1.62e42fefa39efp-1; // -ln 2

  private double value;
  private double sign;

  /** Computes the result for {@code x[xOff .. xOff + len)} and {@code b[bOff .. bOff + len)}. */
  public WeightedLogSumExp compute(double[] x, int xOff, double[] b, int bOff, int len) {
    Checks.notNull(x, "x");
    Checks.notNull(b, "b");
    Checks.range("x", x.length, xOff, len);
    Checks.range("b", b.length, bOff, len);
    double m = Double.NEGATIVE_INFINITY;
    boolean nan = false;
    boolean posInf = false;
    boolean negInf = false;
    for (int i = 0; i < len; i++) {
      double bi = b[bOff + i];
      if (bi == 0.0) {
        continue;
      }
      double xi = x[xOff + i];
      if (Double.isNaN(xi) || Double.isNaN(bi)
          || (Double.isInfinite(bi) && xi == Double.NEGATIVE_INFINITY)) {
        // NaN, or inf * exp(-inf) = inf * 0
        nan = true;
      } else if (xi == Double.POSITIVE_INFINITY || Double.isInfinite(bi)) {
        // an infinite term, of the weight's sign
        posInf |= bi > 0;
        negInf |= bi < 0;
      }
      if (xi > m && xi != Double.POSITIVE_INFINITY) {
        m = xi;
      }
    }
    if (nan || (posInf && negInf)) {
      return set(Double.NaN, Double.NaN);
    }
    if (posInf || negInf) {
      return set(Double.POSITIVE_INFINITY, posInf ? 1.0 : -1.0);
    }
    if (m == Double.NEGATIVE_INFINITY) {
      return set(Double.NEGATIVE_INFINITY, 0.0);
    }
    // D = S - 1 = dHi + dLo
    double dHi = -1.0;
    double dLo = 0.0;
    for (int i = 0; i < len; i++) {
      double bi = b[bOff + i];
      double xi = x[xOff + i];
      if (bi == 0.0 || xi == Double.NEGATIVE_INFINITY) {
        continue;
      }
      // TwoSum: h + l == xi - m exactly (h is -inf only where the difference overflows)
      double h = xi - m;
      if (h == Double.NEGATIVE_INFINITY) {
        continue;
      }
      double bb = h - xi;
      double l = (xi - (h - bb)) + (-m - bb);
      double term;
      if (h > NEAR) {
        // b e^(h + l) = b + b (expm1(h) + l e^h), to within b l^2
        double em1 = Math.expm1(h);
        term = Math.fma(l, em1 + 1.0, em1);
        double s = dHi + bi;
        double bv = s - dHi;
        dLo += (dHi - (s - bv)) + (bi - bv);
        dHi = s;
      } else {
        double e = Exp.exp(h);
        term = Math.fma(e, l, e);
      }
      // two-product: p + pe == bi * term exactly, then TwoSum into D
      double p = bi * term;
      double pe = Math.fma(bi, term, -p);
      double s = dHi + p;
      double bv = s - dHi;
      dLo += ((dHi - (s - bv)) + (p - bv)) + pe;
      dHi = s;
    }
    if (!Double.isFinite(dHi) || !Double.isFinite(dLo)) {
      // a sum beyond the range: +inf with its sign, or NaN (inf - inf)
      double d = dHi + dLo;
      return Double.isNaN(d) ? set(Double.NaN, Double.NaN)
          : set(Double.POSITIVE_INFINITY, Math.signum(d));
    }
    // renormalize D
    double d = dHi + dLo;
    double dErr = dLo - (d - dHi);
    double logS;
    double sgn;
    if (d > -0.5 && d < 0.5) {
      // S in (1/2, 3/2): log1p keeps the digits of a log near 0
      logS = Math.log1p(d) + dErr / (1.0 + d);
      sgn = 1.0;
    } else {
      // S = 1 + D, TwoSum
      double sHi = 1.0 + d;
      double bv = sHi - 1.0;
      double sLo = ((1.0 - (sHi - bv)) + (d - bv)) + dErr;
      if (sHi == 0.0) {
        if (sLo == 0.0) {
          return set(Double.NEGATIVE_INFINITY, 0.0);
        }
        sHi = sLo;
        sLo = 0.0;
      }
      logS = Math.log(Math.abs(sHi)) + sLo / sHi;
      sgn = Math.signum(sHi);
    }
    // TwoSum: m + logS, rounded once
    double r = m + logS;
    double bv = r - m;
    double err = (m - (r - bv)) + (logS - bv);
    return set(r + err, sgn);
  }

  private WeightedLogSumExp set(double value, double sign) {
    this.value = value;
    this.sign = sign;
    return this;
  }

  /** {@code log |Σ b_i exp(x_i)|}: {@code -inf} for a zero sum, NaN as described above. */
  public double logAbs() {
    return value;
  }

  /** The sign of the sum: 1, -1, 0 for a zero sum, NaN with the result. */
  public double sign() {
    return sign;
  }

  /**
   * SciPy's result without {@code return_sign}: {@code log Σ b_i exp(x_i)}, NaN where the sum is
   * negative.
   */
  public double logSumExp() {
    return sign < 0 ? Double.NaN : value;
  }
}
