package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.array.ByteArrayMethods;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The per-group partial sums of one partition, for {@code --group-col}: per group its rows, its
 * rows of non-finite loss, and the {@link FixedPoint} sums Σ s ℓ and Σ s w over its finite
 * losses (s the sample weight, w the label's class weight). Groups may span partitions: the
 * partitions' sums are merged by group ({@link #merge(long[], long[])}), exactly, and each group's
 * mean loss is then Σ s ℓ / Σ s w.
 *
 * <p>Rows mostly come grouped (the tokens of a sequence in order), so the sums are kept per run
 * of rows of one group, in flat arrays (the key's bytes, then 7 longs: about 70 bytes a run),
 * without a map: a group whose rows are not together in the partition has several runs, which
 * the merge by group adds up like those of other partitions. Not thread-safe.
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

  /** The runs' keys, one after the other; run r's is [keyEnds[r - 1], keyEnds[r]). */
  private byte[] keys = new byte[1024];
  private int[] keyEnds = new int[64];
  /** The runs' sums, {@link #SIZE} per run. */
  private long[] sums = new long[64 * SIZE];
  private int runs;

  /**
   * Adds an evaluated row of group {@code key}, with sample weight {@code s}, loss weight {@code
   * w} and loss {@code loss}: to the current run if it is of this group, else to a new one.
   */
  public void add(UTF8String key, double s, double w, double loss) {
    if (runs == 0 || !isLastKey(key)) {
      newRun(key);
    }
    int at = (runs - 1) * SIZE;
    sums[at + ROWS]++;
    if (Double.isFinite(loss)) {
      boolean fits = FixedPoint.add(sums, at + LOSS, s * loss)
          & FixedPoint.add(sums, at + WEIGHT, s * w);
      if (!fits) {
        sums[at + OVERFLOW] = 1;
      }
    } else {
      sums[at + NON_FINITE]++;
    }
  }

  private boolean isLastKey(UTF8String key) {
    int start = runs == 1 ? 0 : keyEnds[runs - 2];
    int length = keyEnds[runs - 1] - start;
    return key.numBytes() == length && ByteArrayMethods.arrayEquals(key.getBaseObject(),
        key.getBaseOffset(), keys, Platform.BYTE_ARRAY_OFFSET + start, length);
  }

  private void newRun(UTF8String key) {
    int start = runs == 0 ? 0 : keyEnds[runs - 1];
    int end = start + key.numBytes();
    if (end > keys.length) {
      keys = Arrays.copyOf(keys, Math.max(end, keys.length * 2));
    }
    key.writeToMemory(keys, Platform.BYTE_ARRAY_OFFSET + start);
    if (runs == keyEnds.length) {
      keyEnds = Arrays.copyOf(keyEnds, runs * 2);
      sums = Arrays.copyOf(sums, runs * 2 * SIZE);
    }
    keyEnds[runs] = end;
    runs++;
  }

  /** The number of runs. */
  public int runs() {
    return runs;
  }

  /** Each run's group (a view of the key's bytes) and a copy of its sums, made as it goes. */
  public Iterator<Map.Entry<UTF8String, long[]>> entries() {
    return new Iterator<>() {
      int r;

      @Override
      public boolean hasNext() {
        return r < runs;
      }

      @Override
      public Map.Entry<UTF8String, long[]> next() {
        if (r >= runs) {
          throw new NoSuchElementException();
        }
        int start = r == 0 ? 0 : keyEnds[r - 1];
        UTF8String key = UTF8String.fromBytes(keys, start, keyEnds[r] - start);
        long[] run = Arrays.copyOfRange(sums, r * SIZE, (r + 1) * SIZE);
        r++;
        return new AbstractMap.SimpleImmutableEntry<>(key, run);
      }
    };
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
