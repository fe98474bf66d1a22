package org.stablesoftmax.kernel;

/**
 * The type of the elements of a row held in a {@link java.nio.ByteBuffer}: IEEE 754 binary32 or
 * binary64, little-endian, back to back, as in the data buffer of an Arrow {@code Float4Vector}
 * or {@code Float8Vector}. The kernel reads either in double; what it writes into a buffer has
 * the row's element type (a float output is rounded once from the double result).
 */
public enum BufferElement {
  FLOAT32(Float.BYTES),
  FLOAT64(Double.BYTES);

  private final int bytes;

  BufferElement(int bytes) {
    this.bytes = bytes;
  }

  /** The width of one element: 4 or 8 bytes. */
  public int bytes() {
    return bytes;
  }
}
