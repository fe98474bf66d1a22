package org.stablesoftmax.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Argument checks shared by the kernel's entry points; each message names the argument. */
final class Checks {

  /** Temperatures whose reciprocal is a normal double, far from overflow. */
  static final double MIN_TEMPERATURE = 1e-300;
  static final double MAX_TEMPERATURE = 1e300;

  private Checks() {}

  static <T> T notNull(T value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }

  /** {@code [off, off + len)} lies inside an array of {@code length} elements. */
  static void range(String name, int length, int off, int len) {
    if (off < 0 || len < 0 || off > length - len) {
      throw new IllegalArgumentException("offset " + off + " and length " + len
          + " do not fit in " + name + " of length " + length);
    }
  }

  /**
   * A row of {@code len} elements of {@code type} from element {@code element} lies within the
   * limit of a little-endian buffer, which is writable when {@code writable}.
   */
  static void buffer(String name, ByteBuffer buffer, int element, int len, BufferElement type,
      boolean writable) {
    notNull(buffer, name);
    notNull(type, "type");
    if (buffer.order() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalArgumentException(name + " must be little-endian, as Arrow's buffers are "
          + "(order(ByteOrder.LITTLE_ENDIAN)), but its order is " + buffer.order());
    }
    if (writable && buffer.isReadOnly()) {
      throw new IllegalArgumentException(name + " must be writable, but it is read-only");
    }
    int capacity = buffer.limit() / type.bytes();
    if (element < 0 || len < 0 || element > capacity - len) {
      throw new IllegalArgumentException("element offset " + element + " and length " + len
          + " do not fit in " + name + " of " + capacity + " " + type + " elements (limit "
          + buffer.limit() + " bytes)");
    }
  }

  static double temperature(double t) {
    if (!StableSoftmax.isValidTemperature(t)) {
      throw new IllegalArgumentException(
          "temperature must be > 0 (and within [1e-300, 1e300]), got " + t);
    }
    return t;
  }

  static double labelSmoothing(double eps) {
    if (!(eps >= 0.0 && eps <= 1.0)) {
      throw new IllegalArgumentException("label smoothing must be in [0, 1], got " + eps);
    }
    return eps;
  }

  static void label(int label, int classes) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException(
          "label " + label + " is out of range for a row of " + classes + " classes");
    }
  }

  /**
   * Row offsets in Arrow's ListVector layout: {@code rows + 1} non-decreasing entries, the last
   * within {@code valuesLength}.
   */
  static void offsets(int[] offsets, int rows, int valuesLength) {
    notNull(offsets, "offsets");
    if (rows < 0 || offsets.length < rows + 1) {
      throw new IllegalArgumentException("offsets must hold rows + 1 = " + (rows + 1)
          + " entries, got " + offsets.length);
    }
    if (offsets[0] < 0 || offsets[rows] > valuesLength) {
      throw new IllegalArgumentException("offsets span [" + offsets[0] + ", " + offsets[rows]
          + ") but values has length " + valuesLength);
    }
    for (int r = 0; r < rows; r++) {
      if (offsets[r + 1] < offsets[r]) {
        throw new IllegalArgumentException(
            "offsets must not decrease, but offsets[" + (r + 1) + "] < offsets[" + r + "]");
      }
    }
  }
}
