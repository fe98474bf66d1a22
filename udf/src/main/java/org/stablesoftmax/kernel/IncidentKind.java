package org.stablesoftmax.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * What can be wrong with one row, as a bit in an {@code int} set.
 *
 * <p>Data incidents describe the input itself. Instability incidents describe what a naive
 * {@code exp(x) / sum(exp(x))} followed by {@code -log(p_label)}, computed in a chosen
 * {@link NaiveDtype}, would have done to a row whose stable result is fine.
 */
public enum IncidentKind {
  /** The logits array itself is null (set by callers that read nullable columns). */
  NULL_LOGITS(Family.DATA),
  /** The row has no classes. */
  EMPTY_LOGITS(Family.DATA),
  /** An element of the logits array is null (set by callers that read nullable columns). */
  NULL_ELEMENT(Family.DATA),
  /** Some logit is NaN. */
  NAN_LOGIT(Family.DATA),
  /** Some logit is {@code +inf}. */
  POS_INF_LOGIT(Family.DATA),
  /** Every logit is {@code -inf}. */
  ALL_MASKED(Family.DATA),
  /** The label is null (set by callers that read nullable columns). */
  NULL_LABEL(Family.DATA),
  /** The label is not a class index of the row. */
  LABEL_OUT_OF_RANGE(Family.DATA),
  /** The label's logit is {@code -inf}: the loss is {@code +inf}. */
  TARGET_MASKED(Family.DATA),
  /** The row's class count differs from the expected one. */
  CLASS_COUNT_MISMATCH(Family.DATA),
  /**
   * The row's sample weight is null, negative, NaN or infinite (set by callers that read a weight
   * column); the row is not evaluated.
   */
  BAD_WEIGHT(Family.DATA),
  /**
   * The row's probabilities or log-probabilities ({@link Scores}) sum to more than
   * {@link Scores#TOLERANCE} away from 1 (relative): the softmax renormalizes them.
   */
  NOT_NORMALIZED(Family.DATA),
  /**
   * The row's soft target (evaluate's {@code --target-col}) is null, has a null, negative, NaN
   * or infinite entry, or sums to more than {@link Scores#TOLERANCE} away from 1; the row is not
   * evaluated. (A target of another length than the logits is {@link #CLASS_COUNT_MISMATCH}.)
   */
  BAD_TARGET(Family.DATA),
  /** The naive sum of exponentials overflows the naive dtype. */
  NAIVE_OVERFLOW(Family.INSTABILITY),
  /** Every naive exponential underflows to 0, so the naive softmax is 0/0. */
  NAIVE_UNDERFLOW(Family.INSTABILITY),
  /** The label's naive probability rounds to 0, so the naive loss is {@code +inf}. */
  NAIVE_TARGET_UNDERFLOW(Family.INSTABILITY),
  /**
   * The top probability rounds to exactly 1.0 in the naive dtype while its exact value is below
   * 1: the row has at least two logits above {@code -inf}, and the others' share is lost to
   * rounding. A row with one class, or with a single class not masked by {@code -inf}, is never
   * saturated: its softmax is exactly 1, as it should be. Such a row still gets the other naive
   * incidents the naive computation has: {@code [1000]} in float32 is {@link #NAIVE_OVERFLOW},
   * as {@code exp(1000)} overflows.
   */
  SATURATED(Family.INSTABILITY);

  /** The two families of incidents. */
  public enum Family { DATA, INSTABILITY }

  private static final IncidentKind[] VALUES = values();

  /** The kinds on which the naive loss is not finite. */
  public static final int NAIVE_FAILURES =
      NAIVE_OVERFLOW.bit() | NAIVE_UNDERFLOW.bit() | NAIVE_TARGET_UNDERFLOW.bit();

  private final Family family;

  IncidentKind(Family family) {
    this.family = family;
  }

  public Family family() {
    return family;
  }

  /** This kind's bit in an incident set. */
  public int bit() {
    return 1 << ordinal();
  }

  /** Whether {@code incidents} holds this kind. */
  public boolean in(int incidents) {
    return (incidents & bit()) != 0;
  }

  /** The kinds in an incident set, in declaration order. */
  public static List<IncidentKind> decode(int incidents) {
    List<IncidentKind> kinds = new ArrayList<>(Integer.bitCount(incidents));
    for (IncidentKind kind : VALUES) {
      if (kind.in(incidents)) {
        kinds.add(kind);
      }
    }
    return kinds;
  }

  /** The names of the kinds in an incident set, in declaration order. */
  public static String[] names(int incidents) {
    List<IncidentKind> kinds = decode(incidents);
    String[] names = new String[kinds.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = kinds.get(i).name();
    }
    return names;
  }
}
