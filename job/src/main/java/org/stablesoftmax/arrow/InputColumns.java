package org.stablesoftmax.arrow;

/**
 * The ordinals of the stage's input columns, as the job standardizes them: the logits (as
 * stored), the label (bigint or null), the id (bigint or null), the file and the row's index in
 * it; then, from {@link #KEPT} on, input columns carried through as they are.
 */
public final class InputColumns {

  private InputColumns() {}

  public static final int LOGITS = 0;
  public static final int LABEL = 1;
  public static final int ID = 2;
  public static final int FILE = 3;
  public static final int ROW_INDEX = 4;
  public static final int KEPT = 5;
}
