package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The per-group partial sums of one partition, for {@code --group-col}: per group its rows, its
 * rows of non-finite loss, and the {@link FixedPoint} sums Σ s ℓ and Σ s w over its finite
 * losses (s the sample weight, w the label's class weight). Groups may span partitions: the
 * partitions' sums are merged by group ({@link #merge(long[], long[])}), exactly, and each group's
 * mean loss is then Σ s ℓ / Σ s w.
 *
 * <p>Rows mostly come grouped (the tokens of a sequence in order), so the last group is kept at
 * hand and the map is looked up only when the group changes. Not thread-safe.
 */
public final class GroupSums implements Serializable {

  private static final long serialVersionUID = 1L;

  /** A group's sums: rows, non-finite losses, Σ s ℓ (2 words), Σ s w (2 words), overflowed. */
  static final int ROWS = 0;
  static final int NON_FINITE = 1;
  static final int LOSS = 2;
  static final int WEIGHT = 4;
  static final int OVERFLOW = 6;
  static final int SIZE = 7;

  private final HashMap<UTF8String, long[]> groups = new HashMap<>();
  private transient UTF8String lastKey;
  private transient long[] last;

  /**
   * Adds an evaluated row of group {@code key} (its bytes are copied if the group is new), with
   * sample weight {@code s}, loss weight {@code w} and loss {@code loss}.
   */
  public void add(UTF8String key, double s, double w, double loss) {
    long[] sums;
    if (last != null && key.equals(lastKey)) {
      sums = last;
    } else {
      sums = groups.get(key);
      if (sums == null) {
        UTF8String copy = key.clone();
        sums = new long[SIZE];
        groups.put(copy, sums);
        lastKey = copy;
      } else {
        lastKey = key.clone();
      }
      last = sums;
    }
    sums[ROWS]++;
    if (Double.isFinite(loss)) {
      boolean fits = FixedPoint.add(sums, LOSS, s * loss) & FixedPoint.add(sums, WEIGHT, s * w);
      if (!fits) {
        sums[OVERFLOW] = 1;
      }
    } else {
      sums[NON_FINITE]++;
    }
  }

  /** The number of groups. */
  public int size() {
    return groups.size();
  }

  /** The groups and their sums. */
  public Iterator<Map.Entry<UTF8String, long[]>> entries() {
    return groups.entrySet().iterator();
  }

  /** Adds a group's sums {@code from} into {@code into}; returns {@code into}. */
  public static long[] merge(long[] into, long[] from) {
    into[ROWS] += from[ROWS];
    into[NON_FINITE] += from[NON_FINITE];
    boolean fits = FixedPoint.addWords(into, LOSS, from[LOSS], from[LOSS + 1])
        & FixedPoint.addWords(into, WEIGHT, from[WEIGHT], from[WEIGHT + 1]);
    into[OVERFLOW] |= from[OVERFLOW] | (fits ? 0 : 1);
    return into;
  }

  /**
   * A group's mean loss from its merged sums, Σ s ℓ / Σ s w; NaN if it has no finite loss of
   * weight (or a sum overflowed).
   */
  public static double mean(long[] sums) {
    double weight = FixedPoint.value(sums, WEIGHT);
    if (sums[OVERFLOW] != 0 || weight == 0) {
      return Double.NaN;
    }
    return FixedPoint.value(sums, LOSS) / weight;
  }
}
