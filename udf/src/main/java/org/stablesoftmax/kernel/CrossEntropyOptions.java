package org.stablesoftmax.kernel;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
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
 *
 * <p>Serializable, to travel to Spark executors: the stream holds the four values and reading it
 * back rebuilds the options through the same checks as the factory methods (a serialization
 * proxy), so a tampered stream cannot make options they would refuse, and {@link #DEFAULT}
 * reads back as itself. Equal options compute the same bits.
 */
public final class CrossEntropyOptions implements Serializable {

  private static final long serialVersionUID = 1L;

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
    // + 0.0: -0.0 smooths as 0.0 does, and so is equal to it
    return new CrossEntropyOptions(
        Checks.labelSmoothing(epsilon) + 0.0, classWeights, hasIgnoreIndex, ignoreIndex);
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

  /** The number of class weights; -1 without weights. */
  int classes() {
    return classWeights == null ? -1 : classWeights.length;
  }

  /** Checks that the weights, if any, cover a row of {@code classes} classes. */
  void checkClasses(int classes) {
    if (classWeights != null && classWeights.length != classes) {
      throw new IllegalArgumentException("classWeights has " + classWeights.length
          + " entries but the row has " + classes + " classes");
    }
  }

  /**
   * Equal options: the same smoothing, the same weights bit for bit (or none), the same ignore
   * index (or none).
   */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CrossEntropyOptions)) {
      return false;
    }
    CrossEntropyOptions other = (CrossEntropyOptions) o;
    return Double.compare(labelSmoothing, other.labelSmoothing) == 0
        && Arrays.equals(classWeights, other.classWeights)
        && hasIgnoreIndex == other.hasIgnoreIndex
        && (!hasIgnoreIndex || ignoreIndex == other.ignoreIndex);
  }

  @Override
  public int hashCode() {
    int h = Double.hashCode(labelSmoothing);
    h = 31 * h + Arrays.hashCode(classWeights);
    return 31 * h + (hasIgnoreIndex ? Integer.hashCode(ignoreIndex) : -1);
  }

  @Override
  public String toString() {
    return "CrossEntropyOptions{labelSmoothing=" + labelSmoothing
        + ", classWeights=" + Arrays.toString(classWeights)
        + ", ignoreIndex=" + (hasIgnoreIndex ? Integer.toString(ignoreIndex) : "none") + '}';
  }

  private Object writeReplace() {
    return new SerializedForm(this);
  }

  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("CrossEntropyOptions are read through their serialized form");
  }

  /** What the stream holds; read back through the factory methods and their checks. */
  private static final class SerializedForm implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double labelSmoothing;
    private final double[] classWeights;
    private final boolean hasIgnoreIndex;
    private final int ignoreIndex;

    SerializedForm(CrossEntropyOptions o) {
      labelSmoothing = o.labelSmoothing;
      classWeights = o.classWeights;
      hasIgnoreIndex = o.hasIgnoreIndex;
      ignoreIndex = o.ignoreIndex;
    }

    private Object readResolve() throws InvalidObjectException {
      try {
        CrossEntropyOptions o = DEFAULT.labelSmoothing(labelSmoothing);
        if (classWeights != null) {
          o = o.classWeights(classWeights);
        }
        if (hasIgnoreIndex) {
          o = o.ignoreIndex(ignoreIndex);
        }
        return o.equals(DEFAULT) ? DEFAULT : o;
      } catch (IllegalArgumentException e) {
        InvalidObjectException invalid = new InvalidObjectException(e.getMessage());
        invalid.initCause(e);
        throw invalid;
      }
    }
  }
}
