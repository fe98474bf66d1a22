package org.stablesoftmax.kernel;

import java.nio.ByteBuffer;

/**
 * The kernel, one row at a time, with reusable scratch space: the allocation-free way in.
 *
 * <p>Each entry point takes one row of logits ({@code double[]} or {@code float[]}, with offset
 * and length, so a flat buffer of many rows is read without copies) and a temperature
 * {@code T > 0}. It runs two passes over the row (the maximum, then the exponentials and their
 * compensated sum), after Blanchard, Higham and Higham (2021): with {@code a = max x},
 * {@code k} its first index, {@code z_i = (x_i - a) / T} and {@code s = Σ_{i≠k} exp(z_i)},
 *
 * <pre>
 *   logsumexp     = a / T + log1p(s)
 *   softmax_i     = exp(z_i) / (1 + s)
 *   log_softmax_i = z_i - log1p(s)
 *   cross-entropy = log1p(s) - z_label
 * </pre>
 *
 * <p>Each {@code z_i} is carried with its rounding error, {@code s} with the errors of its sum,
 * and {@code log1p(s)} with a first-order correction, so that the results are within a few ulps
 * of exact. All arithmetic is in double, whatever the input type. After any entry point, the
 * getters ({@link #logSumExp()}, {@link #crossEntropy(int)}, {@link #incidents}, ...) answer for
 * that row without another pass.
 *
 * <p>A row can also be read from a {@link ByteBuffer}, direct or heap, where it sits as
 * little-endian float32 or float64 elements ({@link BufferElement}), as in an Arrow
 * {@code Float4Vector}'s or {@code Float8Vector}'s data buffer: the caller gives the element
 * offset and the length, and softmax and log-softmax are written into a buffer in the row's
 * element type. See {@link #analyze(ByteBuffer, int, int, BufferElement, double)}.
 *
 * <p>Non-finite input never throws: a row with a NaN or {@code +inf} gives NaN everywhere but
 * its logsumexp (NaN with a NaN, else {@code +inf}), a row of only {@code -inf} gives NaN probabilities and a logsumexp of
 * {@code -inf}, an empty row gives a logsumexp of {@code -inf} and a cross-entropy of NaN, and
 * a single {@code -inf} (a masked class) gives probability 0 there. Argument errors (null,
 * offsets, temperature, a label out of range where one is required) throw
 * IllegalArgumentException naming the argument.
 *
 * <p>Not thread-safe: use one per thread.
 */
public final class SoftmaxRow {

  /** Pass as the label where a row has none: label incidents are then not checked. */
  public static final int NO_LABEL = Integer.MIN_VALUE;

  private enum State { EMPTY, ALL_MASKED, NOT_FINITE, FINITE }

  private final SoftmaxKernel kernel;
  private final PassState acc = new PassState();
  private final PassState probe = new PassState();
  private final CompensatedSum terms = new CompensatedSum();
  private final double[] one = new double[1];
  private double[] widened = new double[0];
  private double[] scratch = new double[0];

  /** Whether the rows are probabilities, read as their logs (see {@link #probabilityInput}). */
  private boolean probabilities;

  // the row: x[off .. off+len), temperature t
  private double[] x;
  private int off;
  private int len;
  private double t = 1.0;
  private double invT = 1.0;

  // its analysis
  private State state = State.EMPTY;
  private double max;
  private int argmax = -1;
  /** s = sHi + sLo, the sum of exp(z_i) over i != k. */
  private double sHi;
  private double sLo;
  /** log1p(s) = lHi + lLo. */
  private double lHi;
  private double lLo;
  /** 1 + s = dHi + dLo, and rcp = 1 / dHi. */
  private double dHi;
  private double dLo;
  private double rcp;
  /** Σ exp(z_i) * -z_i. */
  private double entropySum;
  /** Σ_{i≠k} exp(z_i)^2. */
  private double squares;

  /** A row analyzer on the kernel implementation chosen for this JVM. */
  public SoftmaxRow() {
    this(KernelProvider.get());
  }

  SoftmaxRow(SoftmaxKernel kernel) {
    this.kernel = kernel;
  }

  /** The kernel implementation in use: "scalar", or "simd-" and the vector width in bits. */
  public String implementation() {
    return kernel.name();
  }

  /**
   * From now on, reads each row's values as probabilities {@code p}, analyzing the logits
   * {@code log p} ({@code -inf} for 0, NaN for a negative value), or (false) as logits again.
   * The row is copied into the work buffer to take its logs; the caller's array is not changed.
   */
  public SoftmaxRow probabilityInput(boolean on) {
    this.probabilities = on;
    return this;
  }

  /** Replaces the work buffer's row by its logs, where the row holds probabilities. */
  private void logsIfProbabilities() {
    if (probabilities) {
      for (int i = 0; i < len; i++) {
        x[off + i] = Math.log(x[off + i]);
      }
    }
  }

  // ---------------------------------------------------------------- entry points

  /** Analyzes a row; the getters then answer for it. */
  public SoftmaxRow analyze(double[] logits, int off, int len, double temperature) {
    bind(logits, off, len, temperature);
    run(null, 0);
    return this;
  }

  /** Analyzes a row of floats, computed in double; the getters then answer for it. */
  public SoftmaxRow analyze(float[] logits, int off, int len, double temperature) {
    bindWidened(logits, off, len, temperature);
    run(null, 0);
    return this;
  }

  /** Writes {@code softmax(logits / T)} into {@code out[outOff ..]}, and analyzes the row. */
  public SoftmaxRow softmax(double[] logits, int off, int len, double temperature,
      double[] out, int outOff) {
    bind(logits, off, len, temperature);
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    run(out, outOff);
    normalize(out, outOff);
    return this;
  }

  /** Writes {@code softmax(logits / T)}, rounded to float, into {@code out[outOff ..]}. */
  public SoftmaxRow softmax(float[] logits, int off, int len, double temperature,
      float[] out, int outOff) {
    bindWidened(logits, off, len, temperature);
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    double[] e = scratch(len);
    run(e, 0);
    if (state == State.FINITE) {
      kernel.divide(e, 0, len, dHi, dLo, rcp, out, outOff);
    } else {
      java.util.Arrays.fill(out, outOff, outOff + len, Float.NaN);
    }
    return this;
  }

  /** Writes {@code log_softmax(logits / T)} into {@code out[outOff ..]}. */
  public SoftmaxRow logSoftmax(double[] logits, int off, int len, double temperature,
      double[] out, int outOff) {
    bind(logits, off, len, temperature);
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    run(null, 0);
    writeLogSoftmax(out, outOff);
    return this;
  }

  /** Writes {@code log_softmax(logits / T)}, rounded to float, into {@code out[outOff ..]}. */
  public SoftmaxRow logSoftmax(float[] logits, int off, int len, double temperature,
      float[] out, int outOff) {
    bindWidened(logits, off, len, temperature);
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    run(null, 0);
    double[] ls = scratch(len);
    writeLogSoftmax(ls, 0);
    kernel.narrow(ls, 0, len, out, outOff);
    return this;
  }

  // ---------------------------------------------------------------- entry points: ByteBuffer

  /**
   * Analyzes the row of {@code len} elements of {@code type} that starts at element
   * {@code element} of {@code logits}; the getters then answer for it, with the same bits as the
   * array forms give for the same values.
   *
   * <p>The buffer may be direct (an Arrow buffer's memory, e.g. {@code ArrowBuf.nioBuffer}) or
   * heap, and must be {@link java.nio.ByteOrder#LITTLE_ENDIAN little-endian}-ordered. Elements
   * count from the buffer's index 0, not from its position, and the row must lie within its
   * limit; its position, limit and mark are left as they are. The row is read once, in a single
   * pass straight from the buffer into this object's double work buffer, and never copied
   * anywhere else: that pass is the widening every float row needs anyway, since all arithmetic
   * is in double; a float64 row is copied into the work buffer the same way, as the getters
   * ({@link #rank}, {@link #topK}, {@link #incidents}) revisit the row after its passes. The
   * buffer is not kept.
   *
   * @throws IllegalArgumentException if {@code logits} or {@code type} is null, the buffer is
   *     not little-endian, the row does not fit within its limit, or the temperature is invalid
   */
  public SoftmaxRow analyze(ByteBuffer logits, int element, int len, BufferElement type,
      double temperature) {
    bindBuffer(logits, element, len, type, temperature);
    run(null, 0);
    return this;
  }

  /**
   * Writes {@code softmax(logits / T)} into {@code len} elements of {@code type} of {@code out}
   * from element {@code outElement} on, and analyzes the row (as
   * {@link #analyze(ByteBuffer, int, int, BufferElement, double)} does). A float row's
   * probabilities are rounded once to float from the double results, exactly as
   * {@link #softmax(float[], int, int, double, float[], int)} rounds them; a double row's are
   * those of {@link #softmax(double[], int, int, double, double[], int)}. Nothing outside the
   * row's range of {@code out} is written, and {@code out} may be {@code logits}, the same range
   * too: the row is read before anything is written.
   *
   * @throws IllegalArgumentException also if {@code out} is null, read-only, not little-endian,
   *     or too short for the row
   */
  public SoftmaxRow softmax(ByteBuffer logits, int element, int len, BufferElement type,
      double temperature, ByteBuffer out, int outElement) {
    bindBuffer(logits, element, len, type, temperature);
    Checks.buffer("out", out, outElement, len, type, true);
    double[] e = scratch(len);
    run(e, 0);
    normalize(e, 0);
    kernel.store(e, 0, len, out, outElement, type);
    return this;
  }

  /**
   * Writes {@code log_softmax(logits / T)} into {@code out} as
   * {@link #softmax(ByteBuffer, int, int, BufferElement, double, ByteBuffer, int)} writes the
   * probabilities: in the row's element type (floats rounded once), the same bits as the array
   * forms.
   */
  public SoftmaxRow logSoftmax(ByteBuffer logits, int element, int len, BufferElement type,
      double temperature, ByteBuffer out, int outElement) {
    bindBuffer(logits, element, len, type, temperature);
    Checks.buffer("out", out, outElement, len, type, true);
    run(null, 0);
    double[] ls = scratch(len);
    writeLogSoftmax(ls, 0);
    kernel.store(ls, 0, len, out, outElement, type);
    return this;
  }

  /**
   * Writes the gradient of {@link #crossEntropy(int, CrossEntropyOptions)} with respect to the
   * logits (not to {@code logits / T}) into {@code out[outOff ..]}: {@code w_y (softmax - onehot)
   * / T} without smoothing; with smoothing {@code ε}, {@code (A softmax_i - b_i) / T} where
   * {@code A = (1 - ε) w_y + (ε / C) Σ_j w_j} and {@code b_i = (1 - ε) w_y [i = y] + (ε / C) w_i}.
   * Zeros for an ignored label, NaN for a row whose loss is NaN.
   */
  public SoftmaxRow crossEntropyGradient(double[] logits, int off, int len, double temperature,
      int label, CrossEntropyOptions options, double[] out, int outOff) {
    bind(logits, off, len, temperature);
    Checks.notNull(options, "options");
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    boolean ignored = options.ignores(label);
    if (!ignored && len > 0) {
      Checks.label(label, len);
      options.checkClasses(len);
    }
    run(out, outOff);
    double ey = state == State.FINITE && !ignored ? out[outOff + label] : 0.0;
    normalize(out, outOff);
    if (ignored) {
      java.util.Arrays.fill(out, outOff, outOff + len, 0.0);
      return this;
    }
    if (state != State.FINITE) {
      return this;
    }
    double eps = options.labelSmoothing();
    double wy = options.weight(label);
    if (eps == 0.0) {
      // softmax_y - 1 = -(1 + s - e_y) / (1 + s), without the cancellation of p_y - 1
      double nHi = dHi - ey;
      double nLo = ((dHi - nHi) - ey) + dLo;
      double oneMinusPy = ScalarSoftmaxKernel.divideTerm(nHi, dHi, dLo, rcp) + nLo * rcp;
      out[outOff + label] = -oneMinusPy;
      scaleInPlace(out, outOff, wy * invT);
      return this;
    }
    double weightSum = 0.0;
    for (int i = 0; i < len; i++) {
      weightSum += options.weight(i);
    }
    double a = (1.0 - eps) * wy + eps / len * weightSum;
    for (int i = 0; i < len; i++) {
      double b = eps / len * options.weight(i) + (i == label ? (1.0 - eps) * wy : 0.0);
      out[outOff + i] = Math.fma(out[outOff + i], a, -b) * invT;
    }
    return this;
  }

  /**
   * Writes the gradient of {@link #softCrossEntropy} with respect to the logits into
   * {@code out[outOff ..]}: {@code (softmax_i Σ_j w_j t'_j - w_i t'_i) / T}, with
   * {@code t' = (1 - ε) t + ε / C}.
   */
  public SoftmaxRow softCrossEntropyGradient(double[] logits, int off, int len,
      double temperature, double[] target, int targetOff, CrossEntropyOptions options,
      double[] out, int outOff) {
    bind(logits, off, len, temperature);
    Checks.notNull(target, "target");
    Checks.range("target", target.length, targetOff, len);
    Checks.notNull(options, "options");
    options.checkClasses(len);
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    run(out, outOff);
    normalize(out, outOff);
    if (state != State.FINITE) {
      return this;
    }
    double eps = options.labelSmoothing();
    double total = 0.0;
    for (int i = 0; i < len; i++) {
      total += options.weight(i) * smoothed(target[targetOff + i], eps);
    }
    for (int i = 0; i < len; i++) {
      double wt = options.weight(i) * smoothed(target[targetOff + i], eps);
      out[outOff + i] = Math.fma(out[outOff + i], total, -wt) * invT;
    }
    return this;
  }

  /**
   * Writes the softmax Jacobian-vector product {@code J v} into {@code out[outOff ..]}, where
   * {@code J} is the Jacobian of {@code softmax(logits / T)} with respect to the logits:
   * {@code (J v)_i = p_i (v_i - <p, v>) / T}. The C×C matrix is never formed.
   */
  public SoftmaxRow softmaxJvp(double[] logits, int off, int len, double temperature,
      double[] v, int vOff, double[] out, int outOff) {
    bind(logits, off, len, temperature);
    Checks.notNull(v, "v");
    Checks.range("v", v.length, vOff, len);
    Checks.notNull(out, "out");
    Checks.range("out", out.length, outOff, len);
    run(out, outOff);
    normalize(out, outOff);
    if (state != State.FINITE) {
      return this;
    }
    // <p, v>, compensated: exact products (fma) and TwoSum
    double dot = 0.0;
    double comp = 0.0;
    for (int i = 0; i < len; i++) {
      double p = out[outOff + i];
      double vi = v[vOff + i];
      double prod = p * vi;
      double prodErr = Math.fma(p, vi, -prod);
      double s = dot + prod;
      double bp = s - dot;
      comp += ((dot - (s - bp)) + (prod - bp)) + prodErr;
      dot = s;
    }
    double pv = dot + comp;
    for (int i = 0; i < len; i++) {
      out[outOff + i] = out[outOff + i] * (v[vOff + i] - pv) * invT;
    }
    return this;
  }

  // ---------------------------------------------------------------- getters for the last row

  /** The number of classes of the last row. */
  public int length() {
    return len;
  }

  /** Whether the last row's results are finite (no NaN, no {@code +inf}, not all masked). */
  public boolean isFinite() {
    return state == State.FINITE;
  }

  /**
   * The index of the first largest logit, as {@code torch.argmax}: NaN counts as largest; 0 for a
   * row of only {@code -inf}; -1 for an empty row.
   */
  public int argmax() {
    return argmax;
  }

  /** The largest logit ({@link Math#max} semantics: NaN if any is NaN); -inf if empty. */
  public double maxLogit() {
    return max;
  }

  /**
   * {@code log Σ exp(x_i / T)}: -inf for an empty or all-masked row, NaN for a row with a NaN,
   * +inf for one with a +inf and no NaN (as {@code torch.logsumexp} and SciPy's).
   */
  public double logSumExp() {
    switch (state) {
      case EMPTY:
      case ALL_MASKED:
        return Double.NEGATIVE_INFINITY;
      case NOT_FINITE:
        // the largest logit: NaN if there is one, else +inf
        return max;
      default:
        break;
    }
    double qa = max;
    double ra = 0.0;
    if (t != 1.0) {
      qa = max * invT;
      if (Double.isInfinite(qa)) {
        return qa;
      }
      ra = Math.fma(-qa, t, max) * invT;
    }
    // TwoSum: s + err == qa + lHi exactly
    double s = qa + lHi;
    double bs = s - qa;
    double err = (qa - (s - bs)) + (lHi - bs);
    return s + ((err + lLo) + ra);
  }

  /**
   * {@code -log softmax_label}. NaN for an empty or non-finite row, {@code +inf} where the label's
   * logit is {@code -inf}.
   *
   * @throws IllegalArgumentException if the row is not empty and the label is out of range
   */
  public double crossEntropy(int label) {
    if (len == 0) {
      return Double.NaN;
    }
    Checks.label(label, len);
    // 0 - x rather than -x: a loss of zero is +0.0
    return 0.0 - logProbability(label);
  }

  /**
   * The cross-entropy with smoothing, weights and ignore index (see {@link CrossEntropyOptions}):
   * {@code (1 - ε) w_y ℓ_y + (ε / C) Σ_i w_i ℓ_i}; 0 for an ignored label.
   */
  public double crossEntropy(int label, CrossEntropyOptions options) {
    Checks.notNull(options, "options");
    if (options.ignores(label)) {
      return 0.0;
    }
    if (len == 0) {
      return Double.NaN;
    }
    Checks.label(label, len);
    options.checkClasses(len);
    double nll = options.weight(label) * crossEntropy(label);
    double eps = options.labelSmoothing();
    if (eps == 0.0 || state != State.FINITE) {
      return nll;
    }
    // Σ_i w_i ℓ_i
    terms.reset();
    for (int i = 0; i < len; i++) {
      double w = options.weight(i);
      if (w != 0.0) {
        terms.add(w * -logProbability(i));
      }
    }
    return (1.0 - eps) * nll + eps / len * terms.value();
  }

  /** The row's weight in a weighted mean of cross-entropies: {@code w_label}, 0 if ignored. */
  public double weight(int label, CrossEntropyOptions options) {
    Checks.notNull(options, "options");
    if (options.ignores(label)) {
      return 0.0;
    }
    if (options.classWeights() == null) {
      return 1.0;
    }
    Checks.label(label, len);
    options.checkClasses(len);
    return options.weight(label);
  }

  /**
   * Cross-entropy against a probability vector {@code target[targetOff .. + C)}, as PyTorch's
   * {@code cross_entropy} with probability targets: {@code Σ_i w_i t'_i ℓ_i} with
   * {@code t' = (1 - ε) t + ε / C}; terms with {@code w_i t'_i = 0} contribute 0.
   */
  public double softCrossEntropy(double[] target, int targetOff, CrossEntropyOptions options) {
    Checks.notNull(target, "target");
    Checks.range("target", target.length, targetOff, len);
    Checks.notNull(options, "options");
    options.checkClasses(len);
    if (state != State.FINITE) {
      return Double.NaN;
    }
    double eps = options.labelSmoothing();
    terms.reset();
    for (int i = 0; i < len; i++) {
      double coef = options.weight(i) * smoothed(target[targetOff + i], eps);
      if (coef != 0.0) {
        terms.add(coef * -logProbability(i));
      }
    }
    return terms.value();
  }

  private double smoothed(double target, double eps) {
    return eps == 0.0 ? target : (1.0 - eps) * target + eps / len;
  }

  /** {@code log softmax_i}: NaN for a non-finite row. */
  public double logProbability(int i) {
    Checks.label(i, len);
    if (state != State.FINITE) {
      return Double.NaN;
    }
    return ScalarSoftmaxKernel.logSoftmaxTerm(x[off + i], max, t, invT, lHi, lLo);
  }

  /** {@code softmax_i}: NaN for a non-finite row. */
  public double probability(int i) {
    Checks.label(i, len);
    if (state != State.FINITE) {
      return Double.NaN;
    }
    probe.reset();
    ScalarSoftmaxKernel.expSumRange(x, off + i, 0, 1, max, -1, t, one, 0, probe);
    return ScalarSoftmaxKernel.divideTerm(one[0], dHi, dLo, rcp);
  }

  /** The largest probability, {@code 1 / (1 + s)}: NaN for an empty or non-finite row. */
  public double maxProbability() {
    if (state != State.FINITE) {
      return Double.NaN;
    }
    return ScalarSoftmaxKernel.divideTerm(1.0, dHi, dLo, rcp);
  }

  /**
   * The entropy of the softmax, {@code -Σ p_i log p_i = log1p(s) + Σ p_i (-z_i)}, in nats: NaN for
   * an empty or non-finite row.
   */
  public double entropy() {
    if (state != State.FINITE) {
      return Double.NaN;
    }
    return lHi + (lLo + ScalarSoftmaxKernel.divideTerm(entropySum, dHi, dLo, rcp));
  }

  /**
   * The first and second derivatives in {@code β = 1 / T} of the row's cross-entropy {@code
   * log Σ exp(β x_i) - β x_y} (x the logits as stored, not divided by T) at the row's T, into
   * {@code out[0]} and {@code out[1]}: {@code E_p[x] - x_y} and {@code Var_p[x] = Σ p_i (x_i -
   * E_p[x])^2}, p the softmax at T. Temperature scaling (Guo et al. 2017) minimizes the mean
   * cross-entropy over β with them. Both sums are taken about the largest logit m, so that they
   * add small terms: the first derivative is {@code Σ p_i (x_i - m) + (m - x_y)}, which keeps
   * its digits where the label's class takes nearly all the mass (not {@code (m + d) - x_y},
   * where {@code d} would vanish below an ulp of m). Masked classes ({@code p_i = 0}) add
   * nothing; the first is {@code +inf} for a masked label; both NaN for an empty or non-finite
   * row.
   *
   * @throws IllegalArgumentException if the row is not empty and the label is out of range
   */
  public void temperatureDerivatives(int label, double[] out) {
    if (len > 0) {
      Checks.label(label, len);
    }
    if (state != State.FINITE) {
      out[0] = Double.NaN;
      out[1] = Double.NaN;
      return;
    }
    double d = 0;
    for (int i = 0; i < len; i++) {
      double p = probability(i);
      if (p != 0) {
        d += p * (x[off + i] - max);
      }
    }
    double v = 0;
    for (int i = 0; i < len; i++) {
      double p = probability(i);
      if (p != 0) {
        double u = (x[off + i] - max) - d;
        v += p * u * u;
      }
    }
    out[0] = d + (max - x[off + label]);
    out[1] = v;
  }


  /**
   * The multiclass Brier score of the row, {@code Σ_i (p_i - [i = label])^2}, in [0, 2], as
   * scikit-learn's multiclass {@code brier_score_loss} per row: NaN for an empty or non-finite
   * row. Computed as {@code (1 - p_y)^2 + Σ_{i≠y} p_i^2} from the sums of the analysis, without
   * the cancellation of {@code 1 - 2 p_y + Σ p_i^2}: {@code 1 - p_k = s / (1 + s)} where the
   * label is the top class, and {@code p_y <= 1/2} elsewhere.
   *
   * @throws IllegalArgumentException if the row is not empty and the label is out of range
   */
  public double brier(int label) {
    if (len == 0) {
      return Double.NaN;
    }
    Checks.label(label, len);
    if (state != State.FINITE) {
      return Double.NaN;
    }
    // Σ_{i≠k} p_i^2 = squares / (1 + s)^2
    double others = ScalarSoftmaxKernel.divideTerm(
        ScalarSoftmaxKernel.divideTerm(squares, dHi, dLo, rcp), dHi, dLo, rcp);
    if (label == argmax) {
      double miss = ScalarSoftmaxKernel.divideTerm(sHi, dHi, dLo, rcp);
      return Math.fma(miss, miss, others);
    }
    probe.reset();
    ScalarSoftmaxKernel.expSumRange(x, off + label, 0, 1, max, -1, t, one, 0, probe);
    double e = one[0];
    double p = ScalarSoftmaxKernel.divideTerm(e, dHi, dLo, rcp);
    double miss = 1.0 - p;
    // Σ_{i≠y} p_i^2 = (1 + squares - e_y^2) / (1 + s)^2
    double top = ScalarSoftmaxKernel.divideTerm(
        ScalarSoftmaxKernel.divideTerm(1.0, dHi, dLo, rcp), dHi, dLo, rcp);
    double label2 = p * p;
    return Math.fma(miss, miss, (top + others) - label2);
  }

  /**
   * Writes the indices of the {@code min(k, C)} largest logits, largest first, into
   * {@code out[outOff ..]} and returns how many. Equal logits keep index order; NaN counts as
   * largest, as in {@code torch.topk}.
   */
  public int topK(int k, int[] out, int outOff) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    Checks.notNull(out, "out");
    int n = Math.min(k, len);
    Checks.range("out", out.length, outOff, n);
    if (n == 0) {
      return 0;
    }
    // a heap of the best n so far in out[outOff ..], its root the worst of them
    int size = 0;
    for (int i = 0; i < len; i++) {
      if (size < n) {
        out[outOff + size] = i;
        siftUp(out, outOff, size++);
      } else if (ranksBefore(i, out[outOff])) {
        out[outOff] = i;
        siftDown(out, outOff, n);
      }
    }
    // pop the worst to the back: the array ends sorted best first
    for (int end = n - 1; end > 0; end--) {
      int worst = out[outOff];
      out[outOff] = out[outOff + end];
      out[outOff + end] = worst;
      siftDown(out, outOff, end);
    }
    return n;
  }

  /**
   * The number of classes that rank before class {@code i} in {@link #topK}'s order (larger logit,
   * NaN first, equal logits by index): {@code i} is among the top {@code k} iff
   * {@code rank(i) < k}. One pass, no heap.
   */
  public int rank(int i) {
    Checks.label(i, len);
    double v = x[off + i];
    if (Double.isNaN(v)) {
      int r = 0;
      for (int j = 0; j < i; j++) {
        r += Double.isNaN(x[off + j]) ? 1 : 0;
      }
      return r;
    }
    // before i, equal logits rank first; after it, only larger ones (and NaN, unordered)
    return kernel.countAbove(x, off, off + i, v, true)
        + kernel.countAbove(x, off + i + 1, off + len, v, false);
  }

  /** Whether class {@code i} ranks before class {@code j}: larger logit, NaN first, then index. */
  private boolean ranksBefore(int i, int j) {
    double vi = x[off + i];
    double vj = x[off + j];
    boolean nanI = Double.isNaN(vi);
    boolean nanJ = Double.isNaN(vj);
    if (nanI || nanJ) {
      return nanI && (!nanJ || i < j);
    }
    return vi > vj || (vi == vj && i < j);
  }

  private void siftUp(int[] heap, int base, int pos) {
    while (pos > 0) {
      int parent = (pos - 1) >>> 1;
      if (!ranksBefore(heap[base + parent], heap[base + pos])) {
        return;
      }
      swap(heap, base + parent, base + pos);
      pos = parent;
    }
  }

  private void siftDown(int[] heap, int base, int size) {
    int pos = 0;
    while (true) {
      int worst = pos;
      int left = 2 * pos + 1;
      int right = left + 1;
      if (left < size && ranksBefore(heap[base + worst], heap[base + left])) {
        worst = left;
      }
      if (right < size && ranksBefore(heap[base + worst], heap[base + right])) {
        worst = right;
      }
      if (worst == pos) {
        return;
      }
      swap(heap, base + pos, base + worst);
      pos = worst;
    }
  }

  private static void swap(int[] a, int i, int j) {
    int tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }

  /** {@link #incidents(int, NaiveDtype, int)} without a class-count check. */
  public int incidents(int label, NaiveDtype dtype) {
    return incidents(label, dtype, -1);
  }

  /**
   * The row's incident set (see {@link IncidentKind}): the data incidents the kernel can see
   * ({@code EMPTY_LOGITS}, {@code NAN_LOGIT}, {@code POS_INF_LOGIT}, {@code ALL_MASKED},
   * {@code LABEL_OUT_OF_RANGE}, {@code TARGET_MASKED}, and {@code CLASS_COUNT_MISMATCH} when
   * {@code expectedClasses >= 0}), and for a finite row the instability incidents of
   * {@link NaiveSoftmax}'s computation in {@code dtype}. Pass {@link #NO_LABEL} for a row
   * without a label.
   *
   * <p>Far from a threshold the decision comes from the stable results; within the rounding
   * errors of the naive computation around a threshold, the naive computation is run for the
   * row, so the flags agree with it exactly.
   */
  public int incidents(int label, NaiveDtype dtype, int expectedClasses) {
    Checks.notNull(dtype, "dtype");
    int bits = 0;
    if (expectedClasses >= 0 && len != expectedClasses) {
      bits |= IncidentKind.CLASS_COUNT_MISMATCH.bit();
    }
    switch (state) {
      case EMPTY:
        return bits | IncidentKind.EMPTY_LOGITS.bit();
      case ALL_MASKED:
        bits |= IncidentKind.ALL_MASKED.bit();
        break;
      case NOT_FINITE:
        for (int i = 0; i < len; i++) {
          double v = x[off + i];
          if (Double.isNaN(v)) {
            bits |= IncidentKind.NAN_LOGIT.bit();
          } else if (v == Double.POSITIVE_INFINITY) {
            bits |= IncidentKind.POS_INF_LOGIT.bit();
          }
        }
        break;
      default:
        break;
    }
    boolean hasLabel = false;
    if (label != NO_LABEL) {
      if (label < 0 || label >= len) {
        bits |= IncidentKind.LABEL_OUT_OF_RANGE.bit();
      } else if (x[off + label] == Double.NEGATIVE_INFINITY) {
        bits |= IncidentKind.TARGET_MASKED.bit();
      } else {
        hasLabel = true;
      }
    }
    if (state == State.FINITE) {
      bits |= naiveIncidents(hasLabel ? label : NO_LABEL, dtype);
    }
    return bits;
  }

  private int naiveIncidents(int label, NaiveDtype dtype) {
    int bits = 0;
    double lse = logSumExp();
    double zMax = max * invT;
    // how far the naive log-sum or log-probability can stray from the stable one: rounding of
    // each z_i, of each exp, and of each addition
    double slack = 4.0 * dtype.unitRoundoff() * (Math.abs(zMax) + Math.abs(lse) + len + 4.0);
    boolean overflow;
    if (Math.abs(lse - dtype.logMax()) > slack) {
      overflow = lse > dtype.logMax();
    } else {
      overflow = NaiveSoftmax.sumExp(x, off, len, t, dtype) == Double.POSITIVE_INFINITY;
    }
    if (overflow) {
      bits |= IncidentKind.NAIVE_OVERFLOW.bit();
    } else if (NaiveSoftmax.exp(max, t, dtype) == 0.0) {
      bits |= IncidentKind.NAIVE_UNDERFLOW.bit();
    } else if (label != NO_LABEL && targetUnderflows(label, dtype, slack)) {
      bits |= IncidentKind.NAIVE_TARGET_UNDERFLOW.bit();
    }
    // the exact top probability is below 1 only when some other class is unmasked; a lone
    // class's probability is exactly 1, which is no instability
    if (dtype.round(maxProbability()) == 1.0 && hasSecondUnmaskedClass()) {
      bits |= IncidentKind.SATURATED.bit();
    }
    return bits;
  }

  /** Whether a finite row has a logit above {@code -inf} besides the maximum's. */
  private boolean hasSecondUnmaskedClass() {
    for (int i = 0; i < len; i++) {
      if (i != argmax && x[off + i] != Double.NEGATIVE_INFINITY) {
        return true;
      }
    }
    return false;
  }

  private boolean targetUnderflows(int label, NaiveDtype dtype, double slack) {
    double xy = x[off + label];
    double ey = NaiveSoftmax.exp(xy, t, dtype);
    if (ey == 0.0) {
      return true;
    }
    double logP = logProbability(label);
    double s = slack + 4.0 * dtype.unitRoundoff() * Math.abs(xy * invT);
    double threshold = dtype.logHalfMinSubnormal();
    // a subnormal naive exp(z_y) has lost relative precision: no slack covers it
    if (Math.abs(logP - threshold) > s && ey >= dtype.minNormal()) {
      return logP < threshold;
    }
    return NaiveSoftmax.crossEntropy(x, off, len, label, t, dtype) == Double.POSITIVE_INFINITY;
  }

  // ---------------------------------------------------------------- the passes

  private void bind(double[] logits, int off, int len, double temperature) {
    Checks.notNull(logits, "logits");
    Checks.range("logits", logits.length, off, len);
    this.t = Checks.temperature(temperature);
    this.invT = 1.0 / t;
    if (probabilities) {
      System.arraycopy(logits, off, workBuffer(len), 0, len);
      logsIfProbabilities();
      return;
    }
    this.x = logits;
    this.off = off;
    this.len = len;
  }

  private void bindWidened(float[] logits, int off, int len, double temperature) {
    Checks.notNull(logits, "logits");
    Checks.range("logits", logits.length, off, len);
    this.t = Checks.temperature(temperature);
    this.invT = 1.0 / t;
    kernel.widen(logits, off, len, workBuffer(len), 0);
    logsIfProbabilities();
  }

  private void bindBuffer(ByteBuffer logits, int element, int len, BufferElement type,
      double temperature) {
    Checks.buffer("logits", logits, element, len, type, false);
    this.t = Checks.temperature(temperature);
    this.invT = 1.0 / t;
    kernel.load(logits, element, len, type, workBuffer(len), 0);
    logsIfProbabilities();
  }

  /** Binds the row to {@code widened[0 .. len)}, grown if needed, for the caller to fill. */
  private double[] workBuffer(int len) {
    if (widened.length < len) {
      widened = new double[Math.max(len, widened.length * 2)];
    }
    this.x = widened;
    this.off = 0;
    this.len = len;
    return widened;
  }

  private double[] scratch(int n) {
    if (scratch.length < n) {
      scratch = new double[Math.max(n, scratch.length * 2)];
    }
    return scratch;
  }

  /** The two passes; stores {@code exp(z_i)} into {@code exps} when it is not null. */
  private void run(double[] exps, int expsOff) {
    if (len == 0) {
      state = State.EMPTY;
      max = Double.NEGATIVE_INFINITY;
      argmax = -1;
      return;
    }
    kernel.scan(x, off, len, acc);
    double a = acc.max;
    max = a;
    argmax = acc.argmax;
    if (a == Double.POSITIVE_INFINITY || a == Double.NEGATIVE_INFINITY) {
      // +inf, all -inf, or only NaN and -inf: NaN counts as largest for argmax
      int nan = kernel.indexOf(x, off, len, Double.NaN);
      if (nan >= 0 || a == Double.POSITIVE_INFINITY) {
        notFinite(nan);
      } else {
        state = State.ALL_MASKED;
        argmax = 0;
      }
      return;
    }
    state = State.FINITE;
    acc.reset();
    kernel.expSum(x, off, len, a, argmax, t, exps, expsOff, acc);
    if (Double.isNaN(acc.sum)) {
      notFinite(kernel.indexOf(x, off, len, Double.NaN));
      return;
    }
    // renormalize: |comp| is far below |sum|
    sHi = acc.sum + acc.comp;
    sLo = acc.comp - (sHi - acc.sum);
    // TwoSum: dHi + dLo == 1 + s
    dHi = 1.0 + sHi;
    double bs = dHi - 1.0;
    dLo = ((1.0 - (dHi - bs)) + (sHi - bs)) + sLo;
    rcp = 1.0 / dHi;
    // log1p(s) = log(dHi + dLo) = log(dHi) + dLo / dHi to first order; Math.log is an
    // intrinsic, twice as fast as log1p, and dLo keeps what 1 + s rounded away
    lHi = Math.log(dHi);
    lLo = dLo * rcp;
    entropySum = acc.entropy;
    squares = acc.squares;
  }

  private void notFinite(int firstNaN) {
    state = State.NOT_FINITE;
    if (firstNaN >= 0) {
      max = Double.NaN;
      argmax = firstNaN;
    }
  }

  /** Turns the stored exponentials into probabilities, or NaN for a non-finite row. */
  private void normalize(double[] e, int eOff) {
    if (state == State.FINITE) {
      kernel.divide(e, eOff, len, dHi, dLo, rcp, e, eOff);
    } else {
      java.util.Arrays.fill(e, eOff, eOff + len, Double.NaN);
    }
  }

  private void writeLogSoftmax(double[] out, int outOff) {
    if (state == State.FINITE) {
      kernel.logSoftmax(x, off, len, max, t, lHi, lLo, out, outOff);
    } else {
      java.util.Arrays.fill(out, outOff, outOff + len, Double.NaN);
    }
  }

  private void scaleInPlace(double[] out, int outOff, double factor) {
    if (factor != 1.0) {
      for (int i = 0; i < len; i++) {
        out[outOff + i] *= factor;
      }
    }
  }
}
