package org.stablesoftmax.arrow;

/** The types of logits column the stage reads. */
public enum LogitsKind {
  /** {@code array<float>} */
  FLOAT(4),
  /** {@code array<double>} */
  DOUBLE(8),
  /** an MLlib {@code Vector} (dense or sparse), read as double */
  VECTOR(8);

  private final int bytes;

  LogitsKind(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element as the stage holds it. */
  public int bytes() {
    return bytes;
  }
}
