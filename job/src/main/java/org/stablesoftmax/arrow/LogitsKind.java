package org.stablesoftmax.arrow;

/** The types of logits column the stage reads. */
public enum LogitsKind {
  /** {@code array<float>} */
  FLOAT(4),
  /** {@code array<double>} (MLlib vectors are read as such) */
  DOUBLE(8);

  private final int bytes;

  LogitsKind(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element as the stage holds it. */
  public int bytes() {
    return bytes;
  }
}
