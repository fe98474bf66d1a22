package org.stablesoftmax.kernel;

/**
 * The naive computation that instability incidents describe: what {@code exp(x) / sum(exp(x))}
 * followed by {@code -log(p_label)} gives when every step is rounded to a {@link NaiveDtype}.
 *
 * <p>With {@code R} the rounding to the dtype: {@code z_i = R(x_i)} (or {@code R(R(x_i) / R(T))}
 * with a temperature), {@code e_i = R(exp(z_i))}, {@code S = R(...R(R(e_0 + e_1) + e_2)...)}
 * summed in index order, {@code p_i = R(e_i / S)} and {@code loss = R(-log(p_label))}. Each
 * operation is computed in double and rounded once; for +, -, × and ÷ that equals the dtype's own
 * correctly rounded operation, as double carries more than twice the dtype's precision.
 *
 * <p>This is a model of a float32 (or float16, bfloat16, float64) framework's plain softmax, for
 * reports and demos; it is deliberately unstable. The stable results are in {@link SoftmaxRow}.
 */
public final class NaiveSoftmax {

  private NaiveSoftmax() {}

  /** {@code R(exp(z))} for the naive {@code z} of one logit. */
  public static double exp(double logit, double temperature, NaiveDtype dtype) {
    double z = dtype.round(logit);
    if (temperature != 1.0) {
      z = dtype.round(z / dtype.round(temperature));
    }
    return dtype.round(Math.exp(z));
  }

  /** The naive {@code S}: 0 when every exponential underflowed, {@code +inf} on overflow. */
  public static double sumExp(double[] logits, int off, int len, double temperature,
      NaiveDtype dtype) {
    double s = 0.0;
    for (int i = 0; i < len; i++) {
      s = dtype.round(s + exp(logits[off + i], temperature, dtype));
    }
    return s;
  }

  /** The naive softmax of a whole row. */
  public static double[] softmax(double[] logits, double temperature, NaiveDtype dtype) {
    double s = sumExp(logits, 0, logits.length, temperature, dtype);
    double[] p = new double[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = dtype.round(exp(logits[i], temperature, dtype) / s);
    }
    return p;
  }

  /** The naive {@code R(log(S))}. */
  public static double logSumExp(double[] logits, double temperature, NaiveDtype dtype) {
    return dtype.round(Math.log(sumExp(logits, 0, logits.length, temperature, dtype)));
  }

  /** The naive {@code R(-log(R(e_label / S)))}. */
  public static double crossEntropy(double[] logits, int off, int len, int label,
      double temperature, NaiveDtype dtype) {
    double s = sumExp(logits, off, len, temperature, dtype);
    double p = dtype.round(exp(logits[off + label], temperature, dtype) / s);
    return dtype.round(-Math.log(p));
  }
}
