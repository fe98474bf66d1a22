package org.stablesoftmax.compare;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.stablesoftmax.evaluate.RowScoring;
import org.stablesoftmax.kernel.RowResult;
import scala.Tuple2;

/**
 * A partition's row outcomes (a {@link RowScoring.Sink}), kept in primitive arrays as they come
 * and handed on as {@code (id, ScoredRow)} pairs, one object made per row as it is shipped. Rows
 * of a null id cannot be paired: they are only counted.
 */
final class ScoredRows implements RowScoring.Sink {

  private long[] ids = new long[1024];
  private long[] labels = new long[1024];
  private double[] values = new double[4 * 1024];
  private int[] argmax = new int[1024];
  /** Bit 0 evaluated, 1 top-1 hit, 2 top-k hit. */
  private byte[] flags = new byte[1024];
  private int size;
  private long nullIds;

  @Override
  public void row(boolean idNull, long id, boolean evaluated, long label, RowResult result,
      boolean top1, boolean topK) {
    if (idNull) {
      nullIds++;
      return;
    }
    if (size == ids.length) {
      int n = 2 * size;
      ids = Arrays.copyOf(ids, n);
      labels = Arrays.copyOf(labels, n);
      values = Arrays.copyOf(values, 4 * n);
      argmax = Arrays.copyOf(argmax, n);
      flags = Arrays.copyOf(flags, n);
    }
    ids[size] = id;
    labels[size] = label;
    values[4 * size] = result.loss();
    values[4 * size + 1] = result.entropy();
    values[4 * size + 2] = result.maxProbability();
    values[4 * size + 3] = result.brier();
    argmax[size] = result.argmax();
    flags[size] = (byte) ((evaluated ? 1 : 0) | (top1 ? 2 : 0) | (topK ? 4 : 0));
    size++;
  }

  /** The rows of a null id: counted, not paired. */
  long nullIds() {
    return nullIds;
  }

  /** The rows kept, as {@code (id, row)} of input {@code side}. */
  Iterator<Tuple2<Object, Object>> pairs(byte side) {
    return new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < size;
      }

      @Override
      public Tuple2<Object, Object> next() {
        if (i >= size) {
          throw new NoSuchElementException();
        }
        int f = flags[i];
        ScoredRow r = new ScoredRow(side, (f & 1) != 0, labels[i], values[4 * i], argmax[i],
            (f & 2) != 0, (f & 4) != 0, values[4 * i + 1], values[4 * i + 2], values[4 * i + 3]);
        return new Tuple2<>(ids[i++], r);
      }
    };
  }
}
