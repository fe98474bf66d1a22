package org.stablesoftmax.kernel;

import java.util.Arrays;

/**
 * Options of the cross-entropy, as PyTorch's {@code torch.nn.functional.cross_entropy} defines
 * them: label smoothing {@code ε}, per-class weights and an ignore index. Immutable.
 *
 * <p>Per row, with {@code ℓ_i = -log softmax_i} and {@code C} classes, the loss is
 * {@code (1 - ε) w_y ℓ_y + (ε / C) Σ_i w_i ℓ_i}; its weight (the row's share of the mean's
 * denominator) is {@code w_y}. A row whose label equals the ignore index has loss 0 and weight 0.
 * Unlike PyTorch, no ignore index is set unless asked for. Terms with a zero weight contribute 0
 * even where {@code ℓ_i} is infinite.
 */
public final class CrossEntropyOptions {

  /** No smoothing, no weights, no ignore index. */
  public static final CrossEntropyOptions DEFAULT = new CrossEntropyOptions(0.0, null, false, 0);

  private final double labelSmoothing;
  private final double[] classWeights;
  private final boolean hasIgnoreIndex;
  private final int ignoreIndex;

  private CrossEntropyOptions(double labelSmoothing, double[] classWeights,
      boolean hasIgnoreIndex, int ignoreIndex) {
    this.labelSmoothing = labelSmoothing;
    this.classWeights = classWeights;
    this.hasIgnoreIndex = hasIgnoreIndex;
    this.ignoreIndex = ignoreIndex;
  }

  /** A copy with label smoothing {@code ε} in [0, 1]. */
  public CrossEntropyOptions labelSmoothing(double epsilon) {
    return new CrossEntropyOptions(
        Checks.labelSmoothing(epsilon), classWeights, hasIgnoreIndex, ignoreIndex);
  }

  /** A copy with these finite class weights (copied). */
  public CrossEntropyOptions classWeights(double[] weights) {
    Checks.notNull(weights, "classWeights");
    for (int i = 0; i < weights.length; i++) {
      if (!Double.isFinite(weights[i])) {
        throw new IllegalArgumentException(
            "classWeights must be finite, but classWeights[" + i + "] is " + weights[i]);
      }
    }
    return new CrossEntropyOptions(
        labelSmoothing, weights.clone(), hasIgnoreIndex, ignoreIndex);
  }

  /** A copy in which rows with this label are ignored (loss 0, weight 0). */
  public CrossEntropyOptions ignoreIndex(int index) {
    return new CrossEntropyOptions(labelSmoothing, classWeights, true, index);
  }

  public double labelSmoothing() {
    return labelSmoothing;
  }

  /** The weights, or null for all ones. */
  public double[] classWeights() {
    return classWeights == null ? null : classWeights.clone();
  }

  boolean ignores(int label) {
    return hasIgnoreIndex && label == ignoreIndex;
  }

  /** {@code w_i}: 1 without weights. */
  double weight(int i) {
    return classWeights == null ? 1.0 : classWeights[i];
  }

  /** Checks that the weights, if any, cover a row of {@code classes} classes. */
  void checkClasses(int classes) {
    if (classWeights != null && classWeights.length != classes) {
      throw new IllegalArgumentException("classWeights has " + classWeights.length
          + " entries but the row has " + classes + " classes");
    }
  }

  @Override
  public String toString() {
    return "CrossEntropyOptions{labelSmoothing=" + labelSmoothing
        + ", classWeights=" + Arrays.toString(classWeights)
        + ", ignoreIndex=" + (hasIgnoreIndex ? Integer.toString(ignoreIndex) : "none") + '}';
  }
}
