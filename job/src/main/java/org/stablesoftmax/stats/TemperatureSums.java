package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.Objects;

/**
 * The exact sums of one step of temperature scaling (Guo et al. 2017) at a temperature T, over
 * the labeled rows of finite loss: with {@code β = 1 / T} and each row's plain negative
 * log-likelihood {@code ℓ(β) = log Σ exp(β x_i) - β x_y}, the sums of {@code s ℓ}, of its first
 * derivative in β, {@code s (E_p[x] - x_y)}, and of its second, {@code s Var_p[x]} (p the row's
 * softmax at T, s its sample weight, 1 without), and of {@code s}. The mean NLL is convex in β,
 * its derivative the gradient's sum over the weight's. Every sum is an {@link ExactSum}, so a
 * step is the same to the bit whatever the partitioning.
 */
public final class TemperatureSums implements Serializable {

  private static final long serialVersionUID = 1L;

  private final ExactSum nll = new ExactSum();
  private final ExactSum gradient = new ExactSum();
  private final ExactSum curvature = new ExactSum();
  private final ExactSum weight = new ExactSum();
  private long rows;

  /**
   * Adds a row of sample weight {@code s}, NLL {@code nll} and its first and second derivatives
   * in β, {@code d1} and {@code d2}; a row whose values are not all finite is left out (its loss
   * is left out of the mean loss too).
   */
  public void add(double s, double nll, double d1, double d2) {
    if (!(Double.isFinite(nll) && Double.isFinite(d1) && Double.isFinite(d2))) {
      return;
    }
    rows++;
    if (s == 1.0) {
      this.nll.add(nll);
      gradient.add(d1);
      curvature.add(d2);
      weight.add(1.0);
    } else {
      this.nll.addProduct(s, nll);
      gradient.addProduct(s, d1);
      curvature.addProduct(s, d2);
      weight.add(s);
    }
  }

  /** Adds {@code other} into this; {@code other} is unchanged. */
  public TemperatureSums merge(TemperatureSums other) {
    nll.add(other.nll);
    gradient.add(other.gradient);
    curvature.add(other.curvature);
    weight.add(other.weight);
    rows += other.rows;
    return this;
  }

  /** The rows added. */
  public long rows() {
    return rows;
  }

  /** The weighted mean NLL, Σ s ℓ / Σ s (rounded once each); NaN without weight. */
  public double meanNll() {
    double w = weight.doubleValue();
    return w > 0 ? nll.doubleValue() / w : Double.NaN;
  }

  /** The mean NLL's derivative in β: Σ s (E_p[x] - x_y) / Σ s. */
  public double derivative() {
    double w = weight.doubleValue();
    return w > 0 ? gradient.doubleValue() / w : Double.NaN;
  }

  /** The mean NLL's second derivative in β: Σ s Var_p[x] / Σ s, at least 0. */
  public double secondDerivative() {
    double w = weight.doubleValue();
    return w > 0 ? curvature.doubleValue() / w : Double.NaN;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TemperatureSums t && rows == t.rows && nll.equals(t.nll)
        && gradient.equals(t.gradient) && curvature.equals(t.curvature)
        && weight.equals(t.weight);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rows, nll, gradient);
  }
}
