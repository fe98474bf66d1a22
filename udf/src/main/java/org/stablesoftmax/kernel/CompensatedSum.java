package org.stablesoftmax.kernel;

/**
 * A running sum with the rounding error of every addition kept apart (TwoSum), so that the
 * total is as if summed in twice the precision. Reusable; not thread-safe.
 */
class CompensatedSum {
  /** The rounded running sum, and the sum of the rounding errors of its additions. */
  double sum;
  double comp;

  void reset() {
    sum = 0.0;
    comp = 0.0;
  }

  void add(double v) {
    double s = sum + v;
    double bv = s - sum;
    comp += (sum - (s - bv)) + (v - bv);
    sum = s;
  }

  /** The total; an infinite or NaN running sum as it is (its errors are then NaN). */
  double value() {
    return Double.isFinite(sum) ? sum + comp : sum;
  }
}
