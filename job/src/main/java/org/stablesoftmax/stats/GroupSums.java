package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.AbstractMap;
import java.util.ArrayList;
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
 * of rows of one group, in flat arrays grown by chunks of 65,536 runs (the key's bytes, its end,
 * then 7 longs: about 70 bytes a run), without a map: a group whose rows are not together in the partition has several runs, which
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

  /** Runs per chunk: the arrays grow by chunks, never copying more than one. */
  private static final int CHUNK_BITS = 16;
  private static final int CHUNK = 1 << CHUNK_BITS;

  /** Per chunk, its runs' keys one after the other; run i's is [ends[i - 1], ends[i]). */
  private final ArrayList<byte[]> keys = new ArrayList<>();
  private final ArrayList<int[]> ends = new ArrayList<>();
  /** Per chunk, its runs' sums, {@link #SIZE} per run. */
  private final ArrayList<long[]> sums = new ArrayList<>();
  private int runs;
  /** The last chunk's arrays (the others are full). */
  private byte[] lastKeys;
  private int[] lastEnds;
  private long[] lastSums;

  /**
   * Adds an evaluated row of group {@code key}, with sample weight {@code s}, loss weight {@code
   * w} and loss {@code loss}: to the current run if it is of this group, else to a new one.
   */
  public void add(UTF8String key, double s, double w, double loss) {
    if (runs == 0 || !isLastKey(key)) {
      newRun(key);
    }
    long[] run = lastSums;
    int at = ((runs - 1) & (CHUNK - 1)) * SIZE;
    run[at + ROWS]++;
    if (Double.isFinite(loss)) {
      boolean fits = FixedPoint.add(run, at + LOSS, s * loss)
          & FixedPoint.add(run, at + WEIGHT, s * w);
      if (!fits) {
        run[at + OVERFLOW] = 1;
      }
    } else {
      run[at + NON_FINITE]++;
    }
  }

  private boolean isLastKey(UTF8String key) {
    int i = (runs - 1) & (CHUNK - 1);
    int start = i == 0 ? 0 : lastEnds[i - 1];
    int length = lastEnds[i] - start;
    return key.numBytes() == length && ByteArrayMethods.arrayEquals(key.getBaseObject(),
        key.getBaseOffset(), lastKeys, Platform.BYTE_ARRAY_OFFSET + start, length);
  }

  private void newRun(UTF8String key) {
    int i = runs & (CHUNK - 1);
    if (i == 0) {
      // a new chunk: small for the first, whole for the next ones
      int n = runs == 0 ? 64 : CHUNK;
      lastKeys = new byte[Math.max(16 * n, key.numBytes())];
      lastEnds = new int[n];
      lastSums = new long[n * SIZE];
      keys.add(lastKeys);
      ends.add(lastEnds);
      sums.add(lastSums);
    } else if (i == lastEnds.length) {
      // only the first chunk grows, up to CHUNK runs
      lastEnds = Arrays.copyOf(lastEnds, 2 * i);
      lastSums = Arrays.copyOf(lastSums, 2 * i * SIZE);
      ends.set(ends.size() - 1, lastEnds);
      sums.set(sums.size() - 1, lastSums);
    }
    int start = i == 0 ? 0 : lastEnds[i - 1];
    int end = start + key.numBytes();
    if (end > lastKeys.length) {
      lastKeys = Arrays.copyOf(lastKeys, Math.max(end, 2 * lastKeys.length));
      keys.set(keys.size() - 1, lastKeys);
    }
    key.writeToMemory(lastKeys, Platform.BYTE_ARRAY_OFFSET + start);
    lastEnds[i] = end;
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
        int c = r >>> CHUNK_BITS;
        int i = r & (CHUNK - 1);
        int[] e = ends.get(c);
        int start = i == 0 ? 0 : e[i - 1];
        UTF8String key = UTF8String.fromBytes(keys.get(c), start, e[i] - start);
        long[] run = Arrays.copyOfRange(sums.get(c), i * SIZE, (i + 1) * SIZE);
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
