package org.stablesoftmax.compare;

import java.io.Serializable;

/**
 * One input row's outcome, as {@code compare} ships it to be paired by id: which input it is of,
 * whether it was evaluated, and, if so, its label and the figures each model's metrics are made
 * of. Primitives only (Kryo writes them as they are).
 */
public final class ScoredRow implements Serializable {

  private static final long serialVersionUID = 1L;

  /** 0 for input A, 1 for input B. */
  byte side;
  /** Whether the row counts in the figures: it has a label and is not skipped. */
  boolean evaluated;
  boolean top1;
  boolean topK;
  int argmax;
  long label;
  double loss;
  double entropy;
  double maxProbability;
  double brier;

  /** For Kryo. */
  ScoredRow() {}

  ScoredRow(byte side, boolean evaluated, long label, double loss, int argmax, boolean top1,
      boolean topK, double entropy, double maxProbability, double brier) {
    this.side = side;
    this.evaluated = evaluated;
    this.label = label;
    this.loss = loss;
    this.argmax = argmax;
    this.top1 = top1;
    this.topK = topK;
    this.entropy = entropy;
    this.maxProbability = maxProbability;
    this.brier = brier;
  }
}
