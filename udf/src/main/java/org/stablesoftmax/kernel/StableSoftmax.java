package org.stablesoftmax.kernel;

/**
 * Numerically stable softmax, log-softmax, logsumexp and cross-entropy: the public facade of the
 * kernel. Every result is computed in double, within a few ulps of the exact value (see
 * {@link SoftmaxRow} for the algorithm and the meaning of NaN and infinities).
 *
 * <p>Three ways in:
 * <ul>
 *   <li>whole arrays, allocating the result: {@code softmax(double[])}, {@code crossEntropy(
 *       double[], int)}, ...;</li>
 *   <li>one row of a flat buffer (offset and length), writing into arrays the caller owns, with a
 *       reusable {@link SoftmaxRow} as the workspace: no allocation per row;</li>
 *   <li>batches over a flat buffer with row offsets, the layout of Arrow's {@code ListVector}:
 *       row {@code r} is {@code values[offsets[r] .. offsets[r + 1])}.</li>
 * </ul>
 *
 * <p>The temperature {@code T > 0} divides the logits ({@code softmax(x / T)}) without
 * materializing {@code x / T}. Imports nothing outside {@code java.*}.
 */
public final class StableSoftmax {

  private StableSoftmax() {}

  /** The kernel implementation this JVM uses: "scalar", or "simd-" and a width in bits. */
  public static String implementation() {
    return KernelProvider.get().name();
  }

  /**
   * Whether the kernel accepts {@code t} as a temperature: within [1e-300, 1e300], so that
   * {@code 1 / t} is a normal double far from overflow. Other values throw
   * IllegalArgumentException.
   */
  public static boolean isValidTemperature(double t) {
    return t >= Checks.MIN_TEMPERATURE && t <= Checks.MAX_TEMPERATURE;
  }

  // ------------------------------------------------------------------ whole arrays, double

  /** {@code log Σ exp(x_i)}. */
  public static double logSumExp(double[] logits) {
    return logSumExp(logits, 1.0);
  }

  /** {@code log Σ exp(x_i / T)}. */
  public static double logSumExp(double[] logits, double temperature) {
    return row(logits, temperature).logSumExp();
  }

  public static double[] softmax(double[] logits) {
    return softmax(logits, 1.0);
  }

  public static double[] softmax(double[] logits, double temperature) {
    double[] out = new double[Checks.notNull(logits, "logits").length];
    new SoftmaxRow().softmax(logits, 0, logits.length, temperature, out, 0);
    return out;
  }

  public static double[] logSoftmax(double[] logits) {
    return logSoftmax(logits, 1.0);
  }

  public static double[] logSoftmax(double[] logits, double temperature) {
    double[] out = new double[Checks.notNull(logits, "logits").length];
    new SoftmaxRow().logSoftmax(logits, 0, logits.length, temperature, out, 0);
    return out;
  }

  /** {@code -log softmax(x)_label}; the label must be a class index. */
  public static double crossEntropy(double[] logits, int label) {
    return crossEntropy(logits, label, 1.0);
  }

  public static double crossEntropy(double[] logits, int label, double temperature) {
    return row(logits, temperature).crossEntropy(label);
  }

  /** Cross-entropy with label smoothing, class weights and an ignore index. */
  public static double crossEntropy(double[] logits, int label, double temperature,
      CrossEntropyOptions options) {
    return row(logits, temperature).crossEntropy(label, options);
  }

  /**
   * The multiclass Brier score {@code Σ_i (softmax(x / T)_i - [i = label])^2}, in [0, 2]
   * (scikit-learn's multiclass {@code brier_score_loss} of one row); the label must be a class
   * index.
   */
  public static double brier(double[] logits, int label, double temperature) {
    return row(logits, temperature).brier(label);
  }

  /**
   * {@code log Σ b_i exp(x_i)}, as SciPy's {@code logsumexp(a, b=b)}: NaN where the sum is
   * negative; see {@link WeightedLogSumExp}.
   */
  public static double logSumExp(double[] logits, double[] b) {
    return weighted(logits, b).logSumExp();
  }

  /**
   * {@code {log |Σ b_i exp(x_i)|, sign}}, as SciPy's {@code logsumexp(a, b=b, return_sign=True)};
   * see {@link WeightedLogSumExp}.
   */
  public static double[] logSumExpWithSign(double[] logits, double[] b) {
    WeightedLogSumExp w = weighted(logits, b);
    return new double[] {w.logAbs(), w.sign()};
  }

  private static WeightedLogSumExp weighted(double[] logits, double[] b) {
    Checks.notNull(logits, "logits");
    Checks.notNull(b, "b");
    checkSameLength(logits, b.length, "b");
    return new WeightedLogSumExp().compute(logits, 0, b, 0, logits.length);
  }

  /** Cross-entropy against a probability vector (soft targets). */
  public static double softCrossEntropy(double[] logits, double[] target) {
    return softCrossEntropy(logits, target, 1.0, CrossEntropyOptions.DEFAULT);
  }

  public static double softCrossEntropy(double[] logits, double[] target, double temperature,
      CrossEntropyOptions options) {
    Checks.notNull(target, "target");
    checkSameLength(logits, target.length, "target");
    return row(logits, temperature).softCrossEntropy(target, 0, options);
  }

  /** The entropy of {@code softmax(x / T)}, in nats. */
  public static double entropy(double[] logits, double temperature) {
    return row(logits, temperature).entropy();
  }

  /** The index of the first largest logit (NaN counts as largest); -1 for an empty row. */
  public static int argmax(double[] logits) {
    return row(logits, 1.0).argmax();
  }

  /** The indices of the {@code k} largest logits, largest first (fewer if the row is shorter). */
  public static int[] topK(double[] logits, int k) {
    return topK(row(logits, 1.0), k);
  }

  /** Gradient of the cross-entropy with respect to the logits: {@code softmax - onehot}. */
  public static double[] crossEntropyGradient(double[] logits, int label) {
    return crossEntropyGradient(logits, label, 1.0, CrossEntropyOptions.DEFAULT);
  }

  public static double[] crossEntropyGradient(double[] logits, int label, double temperature,
      CrossEntropyOptions options) {
    double[] out = new double[Checks.notNull(logits, "logits").length];
    new SoftmaxRow().crossEntropyGradient(
        logits, 0, logits.length, temperature, label, options, out, 0);
    return out;
  }

  /** Gradient of the soft-target cross-entropy with respect to the logits. */
  public static double[] softCrossEntropyGradient(double[] logits, double[] target,
      double temperature, CrossEntropyOptions options) {
    Checks.notNull(target, "target");
    checkSameLength(logits, target.length, "target");
    double[] out = new double[logits.length];
    new SoftmaxRow().softCrossEntropyGradient(
        logits, 0, logits.length, temperature, target, 0, options, out, 0);
    return out;
  }

  /** The softmax Jacobian-vector product {@code J v}, without forming the C×C Jacobian. */
  public static double[] softmaxJvp(double[] logits, double[] v) {
    return softmaxJvp(logits, v, 1.0);
  }

  public static double[] softmaxJvp(double[] logits, double[] v, double temperature) {
    Checks.notNull(v, "v");
    checkSameLength(logits, v.length, "v");
    double[] out = new double[logits.length];
    new SoftmaxRow().softmaxJvp(logits, 0, logits.length, temperature, v, 0, out, 0);
    return out;
  }

  /**
   * The row's incident set (bits of {@link IncidentKind}) for a naive computation in
   * {@code dtype}; pass {@link SoftmaxRow#NO_LABEL} for a row without a label.
   */
  public static int incidents(double[] logits, int label, double temperature,
      NaiveDtype dtype) {
    return row(logits, temperature).incidents(label, dtype);
  }

  // ------------------------------------------------------------------ whole arrays, float

  public static double logSumExp(float[] logits) {
    return logSumExp(logits, 1.0);
  }

  public static double logSumExp(float[] logits, double temperature) {
    return row(logits, temperature).logSumExp();
  }

  /** The softmax of floats, computed in double and rounded once to float. */
  public static float[] softmax(float[] logits) {
    return softmax(logits, 1.0);
  }

  public static float[] softmax(float[] logits, double temperature) {
    float[] out = new float[Checks.notNull(logits, "logits").length];
    new SoftmaxRow().softmax(logits, 0, logits.length, temperature, out, 0);
    return out;
  }

  public static float[] logSoftmax(float[] logits) {
    return logSoftmax(logits, 1.0);
  }

  public static float[] logSoftmax(float[] logits, double temperature) {
    float[] out = new float[Checks.notNull(logits, "logits").length];
    new SoftmaxRow().logSoftmax(logits, 0, logits.length, temperature, out, 0);
    return out;
  }

  public static double crossEntropy(float[] logits, int label) {
    return crossEntropy(logits, label, 1.0);
  }

  public static double crossEntropy(float[] logits, int label, double temperature) {
    return row(logits, temperature).crossEntropy(label);
  }

  public static double entropy(float[] logits, double temperature) {
    return row(logits, temperature).entropy();
  }

  public static int argmax(float[] logits) {
    return row(logits, 1.0).argmax();
  }

  public static int[] topK(float[] logits, int k) {
    return topK(row(logits, 1.0), k);
  }

  public static int incidents(float[] logits, int label, double temperature, NaiveDtype dtype) {
    return row(logits, temperature).incidents(label, dtype);
  }

  // ------------------------------------------------------------------ one row of a flat buffer

  public static double logSumExp(double[] values, int off, int len, double temperature,
      SoftmaxRow workspace) {
    return workspace(workspace).analyze(values, off, len, temperature).logSumExp();
  }

  public static double logSumExp(float[] values, int off, int len, double temperature,
      SoftmaxRow workspace) {
    return workspace(workspace).analyze(values, off, len, temperature).logSumExp();
  }

  public static double crossEntropy(double[] values, int off, int len, int label,
      double temperature, SoftmaxRow workspace) {
    return workspace(workspace).analyze(values, off, len, temperature).crossEntropy(label);
  }

  public static double crossEntropy(float[] values, int off, int len, int label,
      double temperature, SoftmaxRow workspace) {
    return workspace(workspace).analyze(values, off, len, temperature).crossEntropy(label);
  }

  public static void softmax(double[] values, int off, int len, double temperature,
      double[] out, int outOff, SoftmaxRow workspace) {
    workspace(workspace).softmax(values, off, len, temperature, out, outOff);
  }

  public static void softmax(float[] values, int off, int len, double temperature,
      float[] out, int outOff, SoftmaxRow workspace) {
    workspace(workspace).softmax(values, off, len, temperature, out, outOff);
  }

  public static void logSoftmax(double[] values, int off, int len, double temperature,
      double[] out, int outOff, SoftmaxRow workspace) {
    workspace(workspace).logSoftmax(values, off, len, temperature, out, outOff);
  }

  public static void logSoftmax(float[] values, int off, int len, double temperature,
      float[] out, int outOff, SoftmaxRow workspace) {
    workspace(workspace).logSoftmax(values, off, len, temperature, out, outOff);
  }

  // ------------------------------------------------------------------ batches (ListVector layout)

  /** {@code out[r] = logsumexp} of row {@code r}, for {@code r < rows}. */
  public static void logSumExpBatch(double[] values, int[] offsets, int rows,
      double temperature, double[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out, rows);
    for (int r = 0; r < rows; r++) {
      out[r] = logSumExp(values, offsets[r], offsets[r + 1] - offsets[r], temperature,
          workspace);
    }
  }

  public static void logSumExpBatch(float[] values, int[] offsets, int rows,
      double temperature, double[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out, rows);
    for (int r = 0; r < rows; r++) {
      out[r] = logSumExp(values, offsets[r], offsets[r + 1] - offsets[r], temperature,
          workspace);
    }
  }

  /** {@code out[r] = cross-entropy} of row {@code r} with label {@code labels[r]}. */
  public static void crossEntropyBatch(double[] values, int[] offsets, int rows, int[] labels,
      double temperature, double[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out, rows);
    checkLabels(labels, rows);
    for (int r = 0; r < rows; r++) {
      out[r] = crossEntropy(values, offsets[r], offsets[r + 1] - offsets[r], labels[r],
          temperature, workspace);
    }
  }

  public static void crossEntropyBatch(float[] values, int[] offsets, int rows, int[] labels,
      double temperature, double[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out, rows);
    checkLabels(labels, rows);
    for (int r = 0; r < rows; r++) {
      out[r] = crossEntropy(values, offsets[r], offsets[r + 1] - offsets[r], labels[r],
          temperature, workspace);
    }
  }

  /**
   * The weighted mean cross-entropy of a batch, as PyTorch's {@code reduction='mean'}:
   * {@code Σ loss_r / Σ w_{y_r}}, ignored rows excluded; NaN when the weights sum to 0.
   */
  public static double meanCrossEntropy(double[] values, int[] offsets, int rows, int[] labels,
      double temperature, CrossEntropyOptions options, SoftmaxRow workspace) {
    Checks.notNull(options, "options");
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, null, 0);
    checkLabels(labels, rows);
    SoftmaxRow row = workspace(workspace);
    CompensatedSum loss = new CompensatedSum();
    CompensatedSum weight = new CompensatedSum();
    for (int r = 0; r < rows; r++) {
      row.analyze(values, offsets[r], offsets[r + 1] - offsets[r], temperature);
      loss.add(row.crossEntropy(labels[r], options));
      weight.add(row.weight(labels[r], options));
    }
    return loss.value() / weight.value();
  }

  /** Row {@code r}'s softmax into {@code out[offsets[r] ..]}: {@code out} shares the layout. */
  public static void softmaxBatch(double[] values, int[] offsets, int rows, double temperature,
      double[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out,
        values == null ? 0 : values.length);
    for (int r = 0; r < rows; r++) {
      softmax(values, offsets[r], offsets[r + 1] - offsets[r], temperature, out, offsets[r],
          workspace);
    }
  }

  public static void softmaxBatch(float[] values, int[] offsets, int rows, double temperature,
      float[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out,
        values == null ? 0 : values.length);
    for (int r = 0; r < rows; r++) {
      softmax(values, offsets[r], offsets[r + 1] - offsets[r], temperature, out, offsets[r],
          workspace);
    }
  }

  /** Row {@code r}'s log-softmax into {@code out[offsets[r] ..]}. */
  public static void logSoftmaxBatch(double[] values, int[] offsets, int rows,
      double temperature, double[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out,
        values == null ? 0 : values.length);
    for (int r = 0; r < rows; r++) {
      logSoftmax(values, offsets[r], offsets[r + 1] - offsets[r], temperature, out, offsets[r],
          workspace);
    }
  }

  public static void logSoftmaxBatch(float[] values, int[] offsets, int rows,
      double temperature, float[] out, SoftmaxRow workspace) {
    checkBatch(values, values == null ? 0 : values.length, offsets, rows, out,
        values == null ? 0 : values.length);
    for (int r = 0; r < rows; r++) {
      logSoftmax(values, offsets[r], offsets[r + 1] - offsets[r], temperature, out, offsets[r],
          workspace);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static SoftmaxRow row(double[] logits, double temperature) {
    Checks.notNull(logits, "logits");
    return new SoftmaxRow().analyze(logits, 0, logits.length, temperature);
  }

  private static SoftmaxRow row(float[] logits, double temperature) {
    Checks.notNull(logits, "logits");
    return new SoftmaxRow().analyze(logits, 0, logits.length, temperature);
  }

  private static int[] topK(SoftmaxRow row, int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    int[] out = new int[Math.min(k, row.length())];
    row.topK(k, out, 0);
    return out;
  }

  private static SoftmaxRow workspace(SoftmaxRow workspace) {
    return Checks.notNull(workspace, "workspace");
  }

  private static void checkSameLength(double[] logits, int length, String name) {
    Checks.notNull(logits, "logits");
    if (logits.length != length) {
      throw new IllegalArgumentException(name + " has " + length
          + " entries but logits has " + logits.length);
    }
  }

  private static void checkBatch(Object values, int valuesLength, int[] offsets, int rows,
      Object out, int outLength) {
    Checks.notNull(values, "values");
    Checks.offsets(offsets, rows, valuesLength);
    if (outLength > 0) {
      Checks.notNull(out, "out");
      int have = out instanceof double[] ? ((double[]) out).length : ((float[]) out).length;
      if (have < outLength) {
        throw new IllegalArgumentException(
            "out has length " + have + " but needs " + outLength);
      }
    }
  }

  private static void checkLabels(int[] labels, int rows) {
    Checks.notNull(labels, "labels");
    if (labels.length < rows) {
      throw new IllegalArgumentException(
          "labels has " + labels.length + " entries for " + rows + " rows");
    }
  }
}
