package org.stablesoftmax.udf;

import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * Reading a row of logits out of Spark's arrays: one memory copy per {@link UnsafeArrayData}, no
 * boxing, and the one rule for null elements that every engine follows (a null element reads as
 * NaN, and is reported).
 */
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

  /**
   * Copies a row of float ({@code elementBytes} 4) or double (8) elements, as they are stored, to
   * {@code dst} at {@code dstOffset} (a primitive array of that type with its
   * {@code Platform.*_ARRAY_OFFSET}, or {@code null} and an off-heap address), a null element as
   * NaN.
   *
   * @return whether any element was null
   */
  public static boolean copyLogits(ArrayData x, int elementBytes, Object dst, long dstOffset) {
    int n = x.numElements();
    boolean bulk = x instanceof UnsafeArrayData;
    if (bulk && !copy((UnsafeArrayData) x, dst, dstOffset, elementBytes)) {
      return false;
    }
    boolean anyNull = false;
    for (int i = 0; i < n; i++) {
      long at = dstOffset + (long) elementBytes * i;
      if (x.isNullAt(i)) {
        anyNull = true;
        if (elementBytes == 4) {
          Platform.putFloat(dst, at, Float.NaN);
        } else {
          Platform.putDouble(dst, at, Double.NaN);
        }
      } else if (!bulk) {
        if (elementBytes == 4) {
          Platform.putFloat(dst, at, x.getFloat(i));
        } else {
          Platform.putDouble(dst, at, x.getDouble(i));
        }
      }
    }
    return anyNull;
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
