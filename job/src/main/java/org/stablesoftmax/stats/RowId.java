package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.Comparator;

/**
 * A row's identity in reports: the value of the id column, or, without one, the file and the row's
 * index in it. Ordered by file, then by number, so "the smallest ids" do not depend on the
 * partitioning.
 *
 * @param file null when {@code number} is the id column's value
 * @param number the id, or the row's index in {@code file}
 */
public record RowId(String file, long number) implements Comparable<RowId>, Serializable {

  private static final Comparator<RowId> ORDER = Comparator
      .comparing(RowId::file, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparingLong(RowId::number);

  /** The id column's value. */
  public static RowId of(long id) {
    return new RowId(null, id);
  }

  /** Row {@code index} (from 0) of {@code file}. */
  public static RowId inFile(String file, long index) {
    return new RowId(file, index);
  }

  @Override
  public int compareTo(RowId other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return file == null ? Long.toString(number) : file + "#" + number;
  }
}
