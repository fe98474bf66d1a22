package org.stablesoftmax.udf;

import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.Platform;

/** Bulk reads of Spark's {@link UnsafeArrayData}: one memory copy per array, no boxing. */
public final class UnsafeArrays {

  private UnsafeArrays() {}

  /**
   * Copies the values of an array of fixed-width elements ({@code elementSize} bytes each; null
   * elements as whatever bits they hold) to {@code dst} at {@code dstOffset}: a Java primitive
   * array with its {@code Platform.*_ARRAY_OFFSET}, or {@code null} and an off-heap address.
   *
   * @return whether any element is null
   */
  public static boolean copy(UnsafeArrayData u, Object dst, long dstOffset, int elementSize) {
    Platform.copyMemory(u.getBaseObject(), dataOffset(u), dst, dstOffset,
        (long) elementSize * u.numElements());
    return hasNull(u);
  }

  /** Where an UnsafeArrayData's values start: after its length word and null bits. */
  private static long dataOffset(UnsafeArrayData u) {
    return u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(u.numElements());
  }

  /** Whether any of an UnsafeArrayData's null bits is set, a word at a time. */
  private static boolean hasNull(UnsafeArrayData u) {
    long bits = u.getBaseOffset() + 8;
    long end = u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(u.numElements());
    for (long p = bits; p < end; p += 8) {
      if (Platform.getLong(u.getBaseObject(), p) != 0) {
        return true;
      }
    }
    return false;
  }
}
