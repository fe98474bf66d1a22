package org.stablesoftmax.arrow;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * A row of an Arrow list of floats or doubles, copied into a reused array of doubles (a null
 * entry as NaN): for what needs a row as an array, e.g. a soft target, or the logits that the
 * classwise bins analyze. Not thread-safe.
 */
public final class ListRow {

  private double[] values = new double[64];

  /**
   * Copies row {@code row} of {@code list} (not null) into {@link #values()}; its length. Read
   * {@link #values()} after this: it may have grown.
   */
  public int read(ListVector list, int row) {
    int from = list.getElementStartIndex(row);
    int n = list.getElementEndIndex(row) - from;
    if (values.length < n) {
      values = new double[Math.max(n, 2 * values.length)];
    }
    FieldVector data = list.getDataVector();
    if (data instanceof Float4Vector f) {
      for (int j = 0; j < n; j++) {
        values[j] = f.isNull(from + j) ? Double.NaN : f.get(from + j);
      }
    } else {
      Float8Vector d = (Float8Vector) data;
      for (int j = 0; j < n; j++) {
        values[j] = d.isNull(from + j) ? Double.NaN : d.get(from + j);
      }
    }
    return n;
  }

  /** The values of the row last read, in {@code [0, length)}. */
  public double[] values() {
    return values;
  }
}
