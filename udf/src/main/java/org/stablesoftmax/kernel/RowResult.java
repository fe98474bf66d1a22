package org.stablesoftmax.kernel;

/**
 * What one row of logits comes to, defined once: its incidents, and the per-row values that every
 * engine and subcommand reports (the loss, the prediction, the label's rank, the entropy, the
 * confidence, the log-sum-exp). Each engine hands its row to {@link #compute} in its own form
 * ({@link Logits}) and reads the results by name.
 *
 * <p>Incidents are of the logits as stored (temperature 1, as {@code softmax_incidents}); the
 * values are at the temperature asked for. A row with null logits has incidents only (its values
 * are NaN and -1).
 *
 * <p>Reusable; not thread-safe.
 */
public final class RowResult {

  /** Label states: no label at all, a null label, a label. */
  public static final int LABEL_ABSENT = 0;
  public static final int LABEL_NULL = 1;
  public static final int LABEL_PRESENT = 2;

  /** A row's logits wherever they are (an array, a buffer): analyzes them into a row. */
  public interface Logits {
    /** Runs {@code row}'s analysis of these logits at {@code temperature}. */
    void analyze(SoftmaxRow row, double temperature);
  }

  private final SoftmaxRow row;
  private CrossEntropyOptions lossOptions = CrossEntropyOptions.DEFAULT;
  private Scores scores = Scores.LOGITS;

  private boolean logitsNull;
  private int labelState;
  private long label;
  private int length;
  private int incidents;
  private double loss;
  private int argmax;
  private int labelRank;
  private double entropy;
  private double maxProbability;
  private double logSumExp;
  private double brier;

  public RowResult() {
    this(new SoftmaxRow());
  }

  /** A result computed with {@code row} (whose analysis {@link #compute} leaves at T). */
  public RowResult(SoftmaxRow row) {
    this.row = row;
    clear();
  }

  /**
   * The options of the loss from now on ({@link CrossEntropyOptions#DEFAULT} at first): label
   * smoothing and class weights, as {@link SoftmaxRow#crossEntropy(int, CrossEntropyOptions)}
   * computes them (its ignore index is not used: callers skip such rows). With class weights, a
   * row of another class count has the incident {@code CLASS_COUNT_MISMATCH} and no loss.
   */
  public RowResult lossOptions(CrossEntropyOptions options) {
    this.lossOptions = Checks.notNull(options, "options");
    return this;
  }

  public CrossEntropyOptions lossOptions() {
    return lossOptions;
  }

  /**
   * What the rows' values are from now on ({@link Scores#LOGITS} at first): probabilities are
   * read as their logs; a row of probabilities or log-probabilities that does not sum to 1 has
   * the incident {@code NOT_NORMALIZED}.
   */
  public RowResult scores(Scores scores) {
    this.scores = Checks.notNull(scores, "scores");
    row.probabilityInput(scores == Scores.PROBABILITIES);
    return this;
  }

  private void clear() {
    logitsNull = true;
    labelState = LABEL_ABSENT;
    label = -1;
    length = 0;
    incidents = 0;
    loss = Double.NaN;
    argmax = -1;
    labelRank = -1;
    entropy = Double.NaN;
    maxProbability = Double.NaN;
    logSumExp = Double.NaN;
    brier = Double.NaN;
  }

  /**
   * Computes the row's results.
   *
   * @param logits the row's logits; null for null logits
   * @param nullElement whether an element was null (and is read as NaN)
   * @param nanElement whether a non-null element is NaN
   * @param labelState {@link #LABEL_ABSENT}, {@link #LABEL_NULL} or {@link #LABEL_PRESENT}
   * @param label the label, if present
   * @param temperature divides the logits for the values (not the incidents)
   * @param dtype the naive dtype of the instability incidents
   * @return this
   */
  public RowResult compute(Logits logits, boolean nullElement, boolean nanElement,
      int labelState, long label, double temperature, NaiveDtype dtype) {
    return compute(logits, nullElement, nanElement, labelState, label, temperature, dtype, null,
        -1);
  }

  /**
   * Computes the row's results against a soft target, a probability per class in
   * {@code target[0 .. targetLength)} (null: a null target): the loss is PyTorch's
   * {@code cross_entropy} with probability targets, {@link SoftmaxRow#softCrossEntropy} with the
   * {@link #lossOptions} (label smoothing applied to the target, class weights inside the sum),
   * and the label of the other values (prediction right or not, the label's rank, the Brier
   * score, the label's incidents) is the target's {@link #targetLabel argmax}.
   *
   * <p>A target that is null, has a negative, NaN or infinite entry, or sums to more than
   * {@link Scores#TOLERANCE} away from 1 has the incident {@code BAD_TARGET}; one of another
   * length than the logits {@code CLASS_COUNT_MISMATCH}. Either way the row has no label and no
   * loss.
   */
  public RowResult computeWithTarget(Logits logits, boolean nullElement, boolean nanElement,
      double[] target, int targetLength, double temperature, NaiveDtype dtype) {
    return compute(logits, nullElement, nanElement, LABEL_ABSENT, -1, temperature, dtype,
        target == null ? NULL_TARGET : target, target == null ? 0 : targetLength);
  }

  /** Stands for a null target. */
  private static final double[] NULL_TARGET = new double[0];

  private RowResult compute(Logits logits, boolean nullElement, boolean nanElement,
      int labelState, long label, double temperature, NaiveDtype dtype, double[] target,
      int targetLength) {
    clear();
    int targetBits = 0;
    if (target != null) {
      targetBits = target == NULL_TARGET ? IncidentKind.BAD_TARGET.bit()
          : targetIncidents(target, targetLength);
      if (targetBits == 0) {
        labelState = LABEL_PRESENT;
        label = targetLabel(target, targetLength);
      }
    }
    this.labelState = labelState;
    this.label = labelState == LABEL_PRESENT ? label : -1;
    if (logits == null) {
      incidents = incidents(row, true, labelState, label, dtype, false, false) | targetBits;
      return this;
    }
    logits.analyze(row, 1.0);
    logitsNull = false;
    length = row.length();
    if (target != null && targetBits == 0 && targetLength != length) {
      targetBits = IncidentKind.CLASS_COUNT_MISMATCH.bit();
      this.labelState = labelState = LABEL_ABSENT;
      this.label = -1;
    }
    incidents = incidents(row, false, labelState, label, dtype, nullElement, nanElement)
        | targetBits;
    // logits have no sum to check: no logsumexp for them here, on the hot path
    if (scores != Scores.LOGITS && length > 0 && scores.notNormalized(row.logSumExp())) {
      incidents |= IncidentKind.NOT_NORMALIZED.bit();
    }
    boolean mismatch = lossOptions.classes() >= 0 && lossOptions.classes() != length;
    if (mismatch) {
      incidents |= IncidentKind.CLASS_COUNT_MISMATCH.bit();
    }
    if (temperature != 1.0) {
      logits.analyze(row, temperature);
    }
    if (labelState == LABEL_PRESENT && label >= 0 && label < row.length()) {
      if (mismatch) {
        loss = Double.NaN;
      } else if (target != null) {
        loss = row.softCrossEntropy(target, 0, lossOptions);
      } else {
        loss = lossOptions == CrossEntropyOptions.DEFAULT
            ? row.crossEntropy((int) label) : row.crossEntropy((int) label, lossOptions);
      }
      brier = row.brier((int) label);
      // the order of top_k: larger logit, NaN first, ties by index
      labelRank = row.rank((int) label);
    }
    argmax = row.argmax();
    entropy = row.entropy();
    maxProbability = row.maxProbability();
    logSumExp = row.logSumExp();
    return this;
  }

  /**
   * What is wrong with a soft target of {@code n} entries: {@code BAD_TARGET} for a negative, NaN
   * or infinite entry, or a sum (in index order) more than {@link Scores#TOLERANCE} away from 1;
   * else nothing.
   */
  static int targetIncidents(double[] target, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double t = target[i];
      if (!(t >= 0 && t < Double.POSITIVE_INFINITY)) {
        return IncidentKind.BAD_TARGET.bit();
      }
      sum += t;
    }
    return Math.abs(sum - 1) > Scores.TOLERANCE ? IncidentKind.BAD_TARGET.bit() : 0;
  }

  /**
   * The hard label of a soft target: the first index of its largest entry, as
   * {@code torch.argmax} gives it.
   */
  public static int targetLabel(double[] target, int n) {
    int k = 0;
    for (int i = 1; i < n; i++) {
      if (target[i] > target[k]) {
        k = i;
      }
    }
    return k;
  }

  /**
   * A row's incident set, as {@code softmax_incidents} answers it: the kernel's incidents of the
   * analyzed row, with a null label, null logits and null elements (read as NaN) told apart.
   *
   * @param analyzed the row's logits analyzed at temperature 1 (unused if {@code logitsNull})
   * @param labelState {@link #LABEL_ABSENT}, {@link #LABEL_NULL} or {@link #LABEL_PRESENT}
   * @param nullElement whether an element was null (and read as NaN)
   * @param nanElement whether a non-null element is NaN
   */
  public static int incidents(SoftmaxRow analyzed, boolean logitsNull, int labelState,
      long label, NaiveDtype dtype, boolean nullElement, boolean nanElement) {
    int bits = labelState == LABEL_NULL ? IncidentKind.NULL_LABEL.bit() : 0;
    if (logitsNull) {
      return bits | IncidentKind.NULL_LOGITS.bit();
    }
    int k = SoftmaxRow.NO_LABEL;
    if (labelState == LABEL_PRESENT) {
      // any label outside [0, n) is reported as out of range, NO_LABEL's value included
      k = label >= 0 && label < analyzed.length() ? (int) label : -1;
    }
    bits |= analyzed.incidents(k, dtype);
    if (nullElement) {
      bits |= IncidentKind.NULL_ELEMENT.bit();
      if (!nanElement) {
        // the NaN the kernel saw stands for a null
        bits &= ~IncidentKind.NAN_LOGIT.bit();
      }
    }
    return bits;
  }

  /** Whether the row's logits were null: its values are SQL null (only incidents are set). */
  public boolean logitsNull() {
    return logitsNull;
  }

  /** The row's number of classes (0 for null logits). */
  public int length() {
    return length;
  }

  /**
   * Whether the loss is SQL null, as {@code cross_entropy} answers: for null logits, without a
   * label, for a label out of range of a non-empty row (an empty row's loss is NaN), and for a
   * row whose class count is not that of the class weights ({@code CLASS_COUNT_MISMATCH}).
   */
  public boolean lossNull() {
    return logitsNull || labelState != LABEL_PRESENT || (length > 0 && labelRank < 0)
        || IncidentKind.CLASS_COUNT_MISMATCH.in(incidents);
  }

  /** Whether the prediction is SQL null, as {@code argmax} answers: null or empty logits. */
  public boolean predictionNull() {
    return argmax < 0;
  }

  /**
   * The label the values were computed with: the one given, or a soft target's argmax; -1
   * without one (no label, a null one, a bad target).
   */
  public long label() {
    return label;
  }

  /** The row's {@link IncidentKind} set. */
  public int incidents() {
    return incidents;
  }

  /** The cross-entropy with the label; NaN without a label in range. */
  public double loss() {
    return loss;
  }

  /** The first index of the largest logit (NaN counts as largest); -1 for none. */
  public int argmax() {
    return argmax;
  }

  /**
   * How many classes rank before the label (in {@code top_k}'s order): the label is in the top
   * k iff this is below k; -1 without a label in range.
   */
  public int labelRank() {
    return labelRank;
  }

  /** The softmax's entropy in nats. */
  public double entropy() {
    return entropy;
  }

  /** The largest probability. */
  public double maxProbability() {
    return maxProbability;
  }

  /** The log-sum-exp. */
  public double logSumExp() {
    return logSumExp;
  }

  /** The multiclass Brier score with the label ({@link SoftmaxRow#brier}); NaN as the loss. */
  public double brier() {
    return brier;
  }

  /**
   * Sets every result as another engine computed them with {@link #compute} (read back from
   * Spark's rows, say).
   */
  public RowResult set(int incidents, double loss, int argmax, int labelRank, double entropy,
      double maxProbability, double logSumExp, double brier, long label) {
    this.incidents = incidents;
    this.label = label;
    this.loss = loss;
    this.argmax = argmax;
    this.labelRank = labelRank;
    this.entropy = entropy;
    this.maxProbability = maxProbability;
    this.logSumExp = logSumExp;
    this.brier = brier;
    return this;
  }
}
