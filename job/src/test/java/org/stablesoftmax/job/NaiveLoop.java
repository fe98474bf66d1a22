package org.stablesoftmax.job;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.stablesoftmax.kernel.IncidentKind;

/**
 * The incidents of one row, computed from their definitions with plain float (or double) loops,
 * independently of the product, for the tests of the commands that report them: the naive
 * softmax is {@code z_i = x_i} rounded to the dtype, {@code e_i = exp(z_i)} rounded to it,
 * {@code S} their sum in index order in the dtype, {@code p_i = e_i / S}. A null element is a
 * {@code null} in the list.
 */
public final class NaiveLoop {

  private NaiveLoop() {}

  /**
   * The row's incident kinds.
   *
   * @param logits float or double elements, as stored; null for null logits
   * @param label null for a null label
   * @param float32 the naive dtype float32, else float64
   */
  public static Set<IncidentKind> incidents(List<? extends Number> logits, Integer label,
      boolean float32) {
    Set<IncidentKind> kinds = EnumSet.noneOf(IncidentKind.class);
    if (label == null) {
      kinds.add(IncidentKind.NULL_LABEL);
    }
    if (logits == null) {
      kinds.add(IncidentKind.NULL_LOGITS);
      return kinds;
    }
    int n = logits.size();
    if (n == 0) {
      kinds.add(IncidentKind.EMPTY_LOGITS);
      return kinds;
    }
    int unmasked = 0;
    for (Number v : logits) {
      if (v == null) {
        kinds.add(IncidentKind.NULL_ELEMENT);
      } else if (Double.isNaN(v.doubleValue())) {
        kinds.add(IncidentKind.NAN_LOGIT);
      } else if (v.doubleValue() == Double.POSITIVE_INFINITY) {
        kinds.add(IncidentKind.POS_INF_LOGIT);
      } else if (v.doubleValue() != Double.NEGATIVE_INFINITY) {
        unmasked++;
      }
    }
    boolean finite = kinds.stream().noneMatch(k -> k == IncidentKind.NULL_ELEMENT
        || k == IncidentKind.NAN_LOGIT || k == IncidentKind.POS_INF_LOGIT);
    if (finite && unmasked == 0) {
      kinds.add(IncidentKind.ALL_MASKED);
    }
    boolean target = false;
    if (label != null) {
      if (label < 0 || label >= n) {
        kinds.add(IncidentKind.LABEL_OUT_OF_RANGE);
      } else if (logits.get(label) != null
          && logits.get(label).doubleValue() == Double.NEGATIVE_INFINITY) {
        kinds.add(IncidentKind.TARGET_MASKED);
      } else {
        target = true;
      }
    }
    if (!finite || unmasked == 0) {
      return kinds;
    }
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = logits.get(i).doubleValue();
    }
    double[] e = new double[n];
    double sum;
    if (float32) {
      float s = 0f;
      for (int i = 0; i < n; i++) {
        e[i] = (float) Math.exp((float) x[i]);
        s += (float) e[i];
      }
      sum = s;
    } else {
      double s = 0;
      for (int i = 0; i < n; i++) {
        e[i] = Math.exp(x[i]);
        s += e[i];
      }
      sum = s;
    }
    if (sum == Double.POSITIVE_INFINITY) {
      kinds.add(IncidentKind.NAIVE_OVERFLOW);
    } else if (sum == 0) {
      kinds.add(IncidentKind.NAIVE_UNDERFLOW);
    } else if (target && (float32 ? (float) e[label] / (float) sum : e[label] / sum) == 0) {
      kinds.add(IncidentKind.NAIVE_TARGET_UNDERFLOW);
    }
    // the exact top probability, 1 / (1 + sum of exp(x_i - max) over the others), rounded
    int k = 0;
    for (int i = 1; i < n; i++) {
      k = x[i] > x[k] ? i : k;
    }
    double others = 0;
    for (int i = 0; i < n; i++) {
      others += i == k ? 0 : Math.exp(x[i] - x[k]);
    }
    double top = 1 / (1 + others);
    if (unmasked >= 2 && (float32 ? (float) top == 1f : top == 1.0)) {
      kinds.add(IncidentKind.SATURATED);
    }
    return kinds;
  }
}
