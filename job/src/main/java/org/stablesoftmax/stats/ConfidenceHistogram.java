package org.stablesoftmax.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * An exact, sparse, mergeable histogram of confidences in [0, 1], fine enough to cut into
 * equal-mass bins afterwards (the adaptive calibration error): what one partition holds of
 * {@link AdaptiveBins}.
 *
 * <p>A confidence {@code p} falls in a <em>key</em> made of the high bits of a double: below 0.5,
 * of {@code p} itself (its exponent and top {@link #MANTISSA_BITS} mantissa bits); from 0.5, of
 * {@code 1 - p} (exact there), so that the confidences near 1, where a good model puts most of its
 * rows, are told apart as finely as those near 0.5; and 1.0 alone in the last key. Keys are ordered
 * as the confidences: {@code p < p'} gives {@code key(p) <= key(p')}. All confidences of a key
 * share one binary exponent, so their sum is an integer sum of mantissas (128 bits, exact) times
 * one power of two.
 *
 * <p>Per key: the row count, the count of correct top-1 predictions, the exact sum of the
 * confidences, the smallest and largest confidence; with weights also the exact sums (an
 * {@link ExactSum} each) of the sample weights, of the weights of correct rows, and of weight
 * times confidence. Every field is an integer, an exact sum, a minimum or a maximum, so merges
 * are exact and the result is the same whatever the partitioning or the merge order.
 *
 * <p>Memory is per occupied key: 7 longs (about 112 bytes with the table's slack) without
 * weights, and about 1.7 KB more with them (three {@link ExactSum}s). Confidences at least
 * {@code 2^-k} occupy at most {@code (k + 52) * 64 + 1} keys (from 0.5, {@code 1 - p >= 2^-53}),
 * e.g. 4,673 for 1,024 classes: at most about 0.5 MB per partition without weights and 8 MB with
 * them, and far fewer keys in practice.
 *
 * <p>An empty histogram has no keys and is the identity of {@link #merge}. Not thread-safe.
 */
public final class ConfidenceHistogram implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Mantissa bits of a key: 64 keys per binade, each 1/64 of it wide. */
  public static final int MANTISSA_BITS = 6;
  private static final int SHIFT = 52 - MANTISSA_BITS;
  /** The key of 0.5 (the keys of p in [0, 0.5) are below it). */
  private static final long HALF = Double.doubleToRawLongBits(0.5) >>> SHIFT;
  private static final long MANTISSA = (1L << 52) - 1;
  private static final long LOW32 = 0xFFFF_FFFFL;
  private static final long EMPTY = -1;

  private final boolean weighted;
  private int size;
  private long[] keys;
  private long[] count;
  private long[] correct;
  /** The sum of the mantissas (with the implicit bit) in two parts: lo holds < 2^62. */
  private long[] sumLo;
  private long[] sumHi;
  private double[] min;
  private double[] max;
  private ExactSum[] weight;
  private ExactSum[] weightCorrect;
  private ExactSum[] weightConfidence;

  /** An empty histogram; {@code weighted} keeps the sums of sample weights too. */
  public ConfidenceHistogram(boolean weighted) {
    this.weighted = weighted;
    allocate(16);
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    count = new long[capacity];
    correct = new long[capacity];
    sumLo = new long[capacity];
    sumHi = new long[capacity];
    min = new double[capacity];
    max = new double[capacity];
    if (weighted) {
      weight = new ExactSum[capacity];
      weightCorrect = new ExactSum[capacity];
      weightConfidence = new ExactSum[capacity];
    }
  }

  /** The key of a confidence {@code p} in [0, 1]: ordered as the confidences. */
  public static long key(double p) {
    if (p < 0.5) {
      return Double.doubleToRawLongBits(p) >>> SHIFT;
    }
    // 1 - p is exact for p in [0.5, 1]; 1.0 alone gets 2 HALF, as no 1 - p >= 2^-53 keys to 0
    return 2 * HALF - (Double.doubleToRawLongBits(1.0 - p) >>> SHIFT);
  }

  /** The biased exponent shared by the confidences of {@code key} (1 for subnormals and 0). */
  private static int exponent(long key) {
    if (key < HALF) {
      return Math.max(1, (int) (key >>> MANTISSA_BITS));
    }
    return key == 2 * HALF ? 1023 : 1022;
  }

  /**
   * Adds a row of confidence {@code p} (in [0, 1]), whether its top-1 prediction is right, and
   * its sample weight {@code s} (1 without weights).
   */
  public void add(double p, boolean top1, double s) {
    int at = slot(key(p));
    count[at]++;
    if (top1) {
      correct[at]++;
    }
    long bits = Double.doubleToRawLongBits(p);
    long m = (bits & MANTISSA) | ((bits >>> 52) == 0 ? 0 : 1L << 52);
    sumLo[at] += m & LOW32;
    sumHi[at] += m >>> 32;
    if (sumLo[at] >= 1L << 62) {
      sumHi[at] += sumLo[at] >>> 32;
      sumLo[at] &= LOW32;
    }
    min[at] = Math.min(min[at], p);
    max[at] = Math.max(max[at], p);
    if (weighted) {
      weight[at].add(s);
      if (top1) {
        weightCorrect[at].add(s);
      }
      weightConfidence[at].addProduct(s, p);
    }
  }

  /** The slot of {@code key}, made (and the table grown) if it is new. */
  private int slot(long key) {
    int mask = keys.length - 1;
    int at = hash(key) & mask;
    while (keys[at] != key) {
      if (keys[at] == EMPTY) {
        if (2 * (size + 1) > keys.length) {
          grow();
          return slot(key);
        }
        keys[at] = key;
        size++;
        min[at] = Double.POSITIVE_INFINITY;
        max[at] = Double.NEGATIVE_INFINITY;
        if (weighted) {
          weight[at] = new ExactSum();
          weightCorrect[at] = new ExactSum();
          weightConfidence[at] = new ExactSum();
        }
        return at;
      }
      at = (at + 1) & mask;
    }
    return at;
  }

  private static int hash(long key) {
    long h = key * 0x9E37_79B9_7F4A_7C15L;
    return (int) (h >>> 32);
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldCount = count;
    long[] oldCorrect = correct;
    long[] oldLo = sumLo;
    long[] oldHi = sumHi;
    double[] oldMin = min;
    double[] oldMax = max;
    ExactSum[] oldWeight = weight;
    ExactSum[] oldWeightCorrect = weightCorrect;
    ExactSum[] oldWeightConfidence = weightConfidence;
    allocate(2 * oldKeys.length);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] == EMPTY) {
        continue;
      }
      int at = slot(oldKeys[i]);
      count[at] = oldCount[i];
      correct[at] = oldCorrect[i];
      sumLo[at] = oldLo[i];
      sumHi[at] = oldHi[i];
      min[at] = oldMin[i];
      max[at] = oldMax[i];
      if (weighted) {
        weight[at] = oldWeight[i];
        weightCorrect[at] = oldWeightCorrect[i];
        weightConfidence[at] = oldWeightConfidence[i];
      }
    }
  }

  /** Adds {@code other} into this histogram; {@code other} is unchanged. */
  public ConfidenceHistogram merge(ConfidenceHistogram other) {
    if (other == this) {
      throw new IllegalArgumentException("cannot merge a ConfidenceHistogram with itself");
    }
    if (other.weighted != weighted) {
      throw new IllegalArgumentException("cannot merge a confidence histogram"
          + (other.weighted ? " with weights" : " without weights") + " into one"
          + (weighted ? " with weights" : " without weights"));
    }
    for (int i = 0; i < other.keys.length; i++) {
      if (other.keys[i] == EMPTY) {
        continue;
      }
      int at = slot(other.keys[i]);
      count[at] += other.count[i];
      correct[at] += other.correct[i];
      long lo = sumLo[at] + other.sumLo[i];
      sumHi[at] += other.sumHi[i] + (lo >>> 32);
      sumLo[at] = lo & LOW32;
      min[at] = Math.min(min[at], other.min[i]);
      max[at] = Math.max(max[at], other.max[i]);
      if (weighted) {
        weight[at].add(other.weight[i]);
        weightCorrect[at].add(other.weightCorrect[i]);
        weightConfidence[at].add(other.weightConfidence[i]);
      }
    }
    return this;
  }

  public boolean weighted() {
    return weighted;
  }

  /** The number of occupied keys. */
  public int keys() {
    return size;
  }

  /** The slots of the occupied keys, in key order (that of the confidences). */
  int[] sortedSlots() {
    Integer[] slots = new Integer[size];
    int n = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != EMPTY) {
        slots[n++] = i;
      }
    }
    // on the driver, once: boxing is fine here
    Arrays.sort(slots, (a, b) -> Long.compare(keys[a], keys[b]));
    return Arrays.stream(slots).mapToInt(Integer::intValue).toArray();
  }

  long count(int slot) {
    return count[slot];
  }

  long correct(int slot) {
    return correct[slot];
  }

  double min(int slot) {
    return min[slot];
  }

  double max(int slot) {
    return max[slot];
  }

  /** The slot's sample weight (its row count without weights), exactly. */
  BigDecimal weight(int slot) {
    return weighted ? weight[slot].finiteValue() : BigDecimal.valueOf(count[slot]);
  }

  /** Adds the slot's (weighted) sum of confidences to {@code sum}, exactly. */
  void addConfidence(int slot, ExactSum sum) {
    if (weighted) {
      sum.add(weightConfidence[slot]);
      return;
    }
    // Σ m * 2^(e - 1075), in 32-bit pieces that are each exact as doubles
    int scale = exponent(keys[slot]) - 1075;
    long lo = sumLo[slot];
    long hi = sumHi[slot];
    sum.add(Math.scalb((double) (lo & LOW32), scale));
    hi += lo >>> 32;
    sum.add(Math.scalb((double) (hi & LOW32), scale + 32));
    sum.add(Math.scalb((double) (hi >>> 32), scale + 64));
  }

  /** Adds the slot's sample weight (its row count without weights) to {@code sum}, exactly. */
  void addWeight(int slot, ExactSum sum) {
    if (weighted) {
      sum.add(weight[slot]);
    } else {
      // a count below 2^53 is exact as a double
      sum.add((double) count[slot]);
    }
  }

  /** Adds the slot's (weighted) count of correct predictions to {@code sum}, exactly. */
  void addCorrect(int slot, ExactSum sum) {
    if (weighted) {
      sum.add(weightCorrect[slot]);
    } else {
      // a count below 2^53 is exact as a double
      sum.add((double) correct[slot]);
    }
  }

  /** The exact sum of the mantissas of a slot, for tests and equality. */
  private BigInteger mantissas(int slot) {
    return BigInteger.valueOf(sumHi[slot]).shiftLeft(32).add(BigInteger.valueOf(sumLo[slot]));
  }

  /** Equal histograms: the same keys with the same counts and sums (table layout aside). */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ConfidenceHistogram)) {
      return false;
    }
    ConfidenceHistogram t = (ConfidenceHistogram) o;
    if (t.weighted != weighted || t.size != size) {
      return false;
    }
    int[] a = sortedSlots();
    int[] b = t.sortedSlots();
    for (int i = 0; i < a.length; i++) {
      int x = a[i];
      int y = b[i];
      if (keys[x] != t.keys[y] || count[x] != t.count[y] || correct[x] != t.correct[y]
          || !mantissas(x).equals(t.mantissas(y)) || Double.compare(min[x], t.min[y]) != 0
          || Double.compare(max[x], t.max[y]) != 0) {
        return false;
      }
      if (weighted && !(weight[x].equals(t.weight[y])
          && weightCorrect[x].equals(t.weightCorrect[y])
          && weightConfidence[x].equals(t.weightConfidence[y]))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    long h = size;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != EMPTY) {
        h += keys[i] * 31 + count[i];
      }
    }
    return Long.hashCode(h);
  }
}
