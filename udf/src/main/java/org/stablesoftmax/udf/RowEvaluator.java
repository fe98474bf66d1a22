package org.stablesoftmax.udf;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.stablesoftmax.kernel.CrossEntropyOptions;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.kernel.Scores;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.kernel.StableSoftmax;
import org.stablesoftmax.kernel.WeightedLogSumExp;

/**
 * The SQL functions' work on one row: reads Catalyst {@link ArrayData} into reusable primitive
 * buffers (a bulk copy from {@link UnsafeArrayData}, no boxing) and runs the kernel.
 *
 * <p>Generated code holds one per generated object (one per task), interpreted evaluation one per
 * thread; both call the same methods, so both give the same bits. The methods never throw for a
 * row: where SQL's answer is null (an invalid temperature, a label out of range, ...) an object
 * result is null and a primitive result sets {@link #wasNull()}. A null element in an array is
 * read as NaN.
 *
 * <p>Not thread-safe.
 */
public final class RowEvaluator {

  /** What {@code logsumexp_sign} gives. */
  public static final StructType SIGNED_LOGSUMEXP_TYPE = new StructType()
      .add("logsumexp", DataTypes.DoubleType, false)
      .add("sign", DataTypes.DoubleType, false);

  /** What {@code softmax_row_result} gives: a {@link RowResult} as a struct. */
  public static final StructType ROW_RESULT_TYPE = new StructType()
      .add("incidents", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("loss", DataTypes.DoubleType, true)
      .add("prediction", DataTypes.IntegerType, true)
      .add("label_rank", DataTypes.IntegerType, true)
      .add("entropy", DataTypes.DoubleType, true)
      .add("max_probability", DataTypes.DoubleType, true)
      .add("logsumexp", DataTypes.DoubleType, true)
      .add("brier", DataTypes.DoubleType, true)
      .add("label", DataTypes.LongType, true);

  private static final UTF8String[] KIND_NAMES;

  static {
    IncidentKind[] kinds = IncidentKind.values();
    KIND_NAMES = new UTF8String[kinds.length];
    for (IncidentKind kind : kinds) {
      KIND_NAMES[kind.ordinal()] = UTF8String.fromString(kind.name());
    }
  }

  private static final NaiveDtype[] DTYPES = NaiveDtype.values();
  private static final Scores[] SCORES = Scores.values();

  private final SoftmaxRow row = new SoftmaxRow();
  /** The row result's own kernel: its scores (probabilities, say) are not the functions'. */
  private final RowResult result = new RowResult();
  /** The last row read, as a {@link RowResult} reads it. */
  private final RowResult.Logits readRow = (r, t) -> {
    if (this.readFloats) {
      r.analyze(this.floats, 0, this.n, t);
    } else {
      r.analyze(this.doubles, 0, this.n, t);
    }
  };
  private float[] floats = new float[256];
  private double[] doubles = new double[256];
  private double[] target = new double[256];
  private double[] wideLogits = new double[256];
  private double[] weightScratch = new double[64];
  private CrossEntropyOptions lastOptions = CrossEntropyOptions.DEFAULT;
  private double[] lastWeights;
  private final WeightedLogSumExp weighted = new WeightedLogSumExp();
  private float[] floatOut = new float[256];
  private double[] doubleOut = new double[256];
  private int[] indices = new int[64];
  private final UTF8String[] names = new UTF8String[KIND_NAMES.length];

  /** Elements of the last row read; whether one of them was null; whether one was NaN. */
  private int n;
  private boolean nullElement;
  private boolean nanElement;
  private boolean readFloats;
  private boolean wasNull;

  /** Whether the last primitive result is SQL null. */
  public boolean wasNull() {
    return wasNull;
  }

  // ------------------------------------------------------------------ functions

  /** softmax(x / t), in the input's element type; null for an invalid temperature. */
  public ArrayData softmax(ArrayData x, boolean isFloat, double t) {
    return probabilities(x, isFloat, t, false);
  }

  /** log_softmax(x / t), in the input's element type; null for an invalid temperature. */
  public ArrayData logSoftmax(ArrayData x, boolean isFloat, double t) {
    return probabilities(x, isFloat, t, true);
  }

  private ArrayData probabilities(ArrayData x, boolean isFloat, double t, boolean log) {
    if (!StableSoftmax.isValidTemperature(t)) {
      return null;
    }
    read(x, isFloat);
    if (isFloat) {
      if (log) {
        row.logSoftmax(floats, 0, n, t, floatOut(), 0);
      } else {
        row.softmax(floats, 0, n, t, floatOut(), 0);
      }
      return UnsafeArrayData.fromPrimitiveArray(floatOut, Platform.FLOAT_ARRAY_OFFSET, n, 4);
    }
    if (log) {
      row.logSoftmax(doubles, 0, n, t, doubleOut(), 0);
    } else {
      row.softmax(doubles, 0, n, t, doubleOut(), 0);
    }
    return UnsafeArrayData.fromPrimitiveArray(doubleOut, Platform.DOUBLE_ARRAY_OFFSET, n, 8);
  }

  /** log Σ exp(x_i / t); null for an invalid temperature. */
  public double logSumExp(ArrayData x, boolean isFloat, double t) {
    if (!analyze(x, isFloat, t)) {
      return Double.NaN;
    }
    return row.logSumExp();
  }

  /** -log softmax(x / t)_label; NaN for an empty row; null for a label out of range. */
  public double crossEntropy(ArrayData x, boolean isFloat, long label, double t) {
    return analyzeWithLabel(x, isFloat, label, t) ? row.crossEntropy((int) label) : Double.NaN;
  }

  /** Σ (softmax(x / t)_i - [i = label])^2; NaN for an empty row; null for a label out of range. */
  public double brier(ArrayData x, boolean isFloat, long label, double t) {
    return analyzeWithLabel(x, isFloat, label, t) ? row.brier((int) label) : Double.NaN;
  }

  /**
   * Analyzes a row for a value of its label: false where there is none, the value then NaN (an
   * invalid temperature: null; an empty row: NaN; a label out of range: null).
   */
  private boolean analyzeWithLabel(ArrayData x, boolean isFloat, long label, double t) {
    if (!analyze(x, isFloat, t) || n == 0) {
      return false;
    }
    if (label < 0 || label >= n) {
      wasNull = true;
      return false;
    }
    return true;
  }

  /** log Σ b_i exp(x_i), NaN for a negative sum (SciPy's); null when the sizes differ. */
  public double weightedLogSumExp(ArrayData x, boolean isFloat, ArrayData b, boolean bIsFloat) {
    return weighted(x, isFloat, b, bIsFloat) ? weighted.logSumExp() : Double.NaN;
  }

  /** (log |Σ b_i exp(x_i)|, its sign), SciPy's return_sign=True; null when the sizes differ. */
  public InternalRow signedLogSumExp(ArrayData x, boolean isFloat, ArrayData b,
      boolean bIsFloat) {
    if (!weighted(x, isFloat, b, bIsFloat)) {
      return null;
    }
    return new GenericInternalRow(new Object[] {weighted.logAbs(), weighted.sign()});
  }

  /** Computes {@link #weighted} for the row; false (and SQL null) when the sizes differ. */
  private boolean weighted(ArrayData x, boolean isFloat, ArrayData b, boolean bIsFloat) {
    wasNull = false;
    int len = x.numElements();
    if (b.numElements() != len) {
      wasNull = true;
      return false;
    }
    if (wideLogits.length < len) {
      wideLogits = new double[Math.max(len, 2 * wideLogits.length)];
    }
    if (target.length < len) {
      target = new double[Math.max(len, 2 * target.length)];
    }
    readInto(x, isFloat, wideLogits);
    readInto(b, bIsFloat, target);
    weighted.compute(wideLogits, 0, target, 0, len);
    return true;
  }

  /** -Σ target_i log softmax(x / t)_i; null when the two arrays differ in length. */
  public double softCrossEntropy(ArrayData x, boolean isFloat, ArrayData targetProbs,
      boolean targetIsFloat, double t) {
    if (!analyze(x, isFloat, t)) {
      return Double.NaN;
    }
    if (targetProbs.numElements() != n) {
      wasNull = true;
      return Double.NaN;
    }
    if (target.length < n) {
      target = new double[Math.max(n, 2 * target.length)];
    }
    readInto(targetProbs, targetIsFloat, target);
    return row.softCrossEntropy(target, 0, CrossEntropyOptions.DEFAULT);
  }

  /** The entropy of softmax(x / t) in nats; NaN for an empty or non-finite row. */
  public double entropy(ArrayData x, boolean isFloat, double t) {
    if (!analyze(x, isFloat, t)) {
      return Double.NaN;
    }
    return row.entropy();
  }

  /** The largest probability of softmax(x / t); NaN for an empty or non-finite row. */
  public double maxProbability(ArrayData x, boolean isFloat, double t) {
    if (!analyze(x, isFloat, t)) {
      return Double.NaN;
    }
    return row.maxProbability();
  }

  /** The index of the first largest logit (NaN counts as largest); null for an empty row. */
  public int argmax(ArrayData x, boolean isFloat) {
    analyze(x, isFloat, 1.0);
    int k = row.argmax();
    wasNull = k < 0;
    return k;
  }

  /** The indices of the min(k, C) largest logits, largest first; null for a negative k. */
  public ArrayData topK(ArrayData x, boolean isFloat, long k) {
    if (k < 0) {
      return null;
    }
    analyze(x, isFloat, 1.0);
    int m = (int) Math.min(k, n);
    if (indices.length < m) {
      indices = new int[Math.max(m, 2 * indices.length)];
    }
    row.topK(m, indices, 0);
    return UnsafeArrayData.fromPrimitiveArray(indices, Platform.INT_ARRAY_OFFSET, m, 4);
  }

  /**
   * The row's incident kinds, as names in declaration order. Unlike the other functions this one
   * answers for null logits ({@code NULL_LOGITS}) and a null label ({@code NULL_LABEL}).
   *
   * @param labelState a {@link RowResult} label state
   * @param dtype the ordinal of the {@link NaiveDtype}
   */
  public ArrayData incidents(ArrayData x, boolean isFloat, int labelState, long label,
      int dtype) {
    if (x != null) {
      analyze(x, isFloat, 1.0);
    }
    int bits = RowResult.incidents(row, x == null, labelState, label, DTYPES[dtype],
        nullElement, nanElement);
    return incidentNames(bits);
  }

  /** The names of an incident set's kinds, in declaration order. */
  private ArrayData incidentNames(int bits) {
    int count = 0;
    for (int i = 0; i < KIND_NAMES.length; i++) {
      if ((bits & (1 << i)) != 0) {
        names[count++] = KIND_NAMES[i];
      }
    }
    UTF8String[] out = new UTF8String[count];
    System.arraycopy(names, 0, out, 0, count);
    return new GenericArrayData(out);
  }

  /** Whether a non-null element of a float ({@code isFloat}) or double array is NaN. */
  public static boolean hasNaN(ArrayData x, boolean isFloat) {
    for (int i = 0; i < x.numElements(); i++) {
      if (!x.isNullAt(i) && Double.isNaN(isFloat ? x.getFloat(i) : x.getDouble(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The row's {@link RowResult} as a {@link #ROW_RESULT_TYPE} struct (never null): incidents of
   * the logits as they are, values at {@code t}, the loss with label smoothing {@code eps} and
   * class weights {@code weights} (null: none); a value without meaning (no label in range, an
   * empty row, null logits, an invalid temperature, smoothing outside [0, 1], a weight that is
   * not finite) is null.
   *
   * @param labelState a {@link RowResult} label state
   * @param dtype the ordinal of the {@link NaiveDtype}
   * @param scores the ordinal of the {@link Scores}: what the row's values are
   * @param target the row's soft target (null: a null one), if {@code hasTarget}: the loss is
   *     against it and the label its argmax ({@link RowResult#computeWithTarget}); the label
   *     arguments are then not read
   */
  public InternalRow rowResult(ArrayData x, boolean isFloat, int labelState, long label,
      double t, int dtype, double eps, ArrayData weights, boolean weightsIsFloat, int scores,
      ArrayData target, boolean targetIsFloat, boolean hasTarget) {
    wasNull = false;
    result.scores(SCORES[scores]);
    CrossEntropyOptions options = lossOptions(eps, weights, weightsIsFloat);
    boolean valid = StableSoftmax.isValidTemperature(t) && options != null;
    result.lossOptions(valid ? options : CrossEntropyOptions.DEFAULT);
    if (x != null) {
      read(x, isFloat);
    }
    if (hasTarget) {
      int m = target == null ? 0 : target.numElements();
      if (this.target.length < m) {
        this.target = new double[Math.max(m, 2 * this.target.length)];
      }
      if (target != null) {
        readInto(target, targetIsFloat, this.target);
      }
      result.computeWithTarget(x == null ? null : readRow, nullElement, nanElement,
          target == null ? null : this.target, m, valid ? t : 1.0, DTYPES[dtype]);
    } else {
      result.compute(x == null ? null : readRow, nullElement, nanElement, labelState, label,
          valid ? t : 1.0, DTYPES[dtype]);
    }
    Object[] out = new Object[ROW_RESULT_TYPE.size()];
    out[0] = incidentNames(result.incidents());
    if (x != null && valid) {
      // as cross_entropy: NaN for an empty row, null without a label in range
      out[1] = result.lossNull() ? null : (Double) result.loss();
      out[2] = result.predictionNull() ? null : result.argmax();
      out[3] = result.labelRank() < 0 ? null : result.labelRank();
      out[4] = result.entropy();
      out[5] = result.maxProbability();
      out[6] = result.logSumExp();
      out[7] = result.lossNull() ? null : (Double) result.brier();
      out[8] = result.label() < 0 ? null : (Long) result.label();
    }
    return new GenericInternalRow(out);
  }

  /**
   * The loss options of smoothing {@code eps} and these class weights (null: none), the last
   * ones again where they are equal; null where they are invalid.
   */
  private CrossEntropyOptions lossOptions(double eps, ArrayData weights, boolean isFloat) {
    if (!(eps >= 0 && eps <= 1)) {
      return null;
    }
    int n = weights == null ? -1 : weights.numElements();
    if (n >= 0) {
      if (weightScratch.length < n) {
        weightScratch = new double[Math.max(n, 2 * weightScratch.length)];
      }
      readInto(weights, isFloat, weightScratch);
      for (int i = 0; i < n; i++) {
        if (!Double.isFinite(weightScratch[i])) {
          return null;
        }
      }
    }
    boolean same = Double.compare(eps, lastOptions.labelSmoothing()) == 0
        && (n < 0 ? lastWeights == null : lastWeights != null && lastWeights.length == n
            && Arrays.equals(lastWeights, 0, n, weightScratch, 0, n));
    if (!same) {
      lastWeights = n < 0 ? null : Arrays.copyOf(weightScratch, n);
      CrossEntropyOptions o = CrossEntropyOptions.DEFAULT.labelSmoothing(eps);
      lastOptions = lastWeights == null ? o : o.classWeights(lastWeights);
    }
    return lastOptions;
  }

  private static final Map<UTF8String, Integer> KIND_BITS = new HashMap<>();

  static {
    for (IncidentKind k : IncidentKind.values()) {
      KIND_BITS.put(UTF8String.fromString(k.name()), k.bit());
    }
  }

  /**
   * Reads a {@link #ROW_RESULT_TYPE} struct, as {@link #rowResult} wrote it, back into
   * {@code into} (nulls as NaN and -1).
   */
  public static RowResult readRowResult(InternalRow struct, RowResult into) {
    ArrayData names = struct.getArray(0);
    int bits = 0;
    for (int i = 0; i < names.numElements(); i++) {
      bits |= KIND_BITS.get(names.getUTF8String(i));
    }
    return into.set(bits, doubleOrNaN(struct, 1), intOrMinusOne(struct, 2),
        intOrMinusOne(struct, 3), doubleOrNaN(struct, 4), doubleOrNaN(struct, 5),
        doubleOrNaN(struct, 6), doubleOrNaN(struct, 7),
        struct.isNullAt(8) ? -1 : struct.getLong(8));
  }

  private static double doubleOrNaN(InternalRow r, int i) {
    return r.isNullAt(i) ? Double.NaN : r.getDouble(i);
  }

  private static int intOrMinusOne(InternalRow r, int i) {
    return r.isNullAt(i) ? -1 : r.getInt(i);
  }

  // ------------------------------------------------------------------ reading rows

  /** Reads and analyzes a row; false (and SQL null) for an invalid temperature. */
  private boolean analyze(ArrayData x, boolean isFloat, double t) {
    wasNull = false;
    if (!StableSoftmax.isValidTemperature(t)) {
      wasNull = true;
      return false;
    }
    read(x, isFloat);
    if (isFloat) {
      row.analyze(floats, 0, n, t);
    } else {
      row.analyze(doubles, 0, n, t);
    }
    return true;
  }

  private void read(ArrayData x, boolean isFloat) {
    n = x.numElements();
    readFloats = isFloat;
    if (isFloat) {
      if (floats.length < n) {
        floats = new float[Math.max(n, 2 * floats.length)];
      }
      nullElement = UnsafeArrays.copyLogits(x, 4, floats, Platform.FLOAT_ARRAY_OFFSET);
    } else {
      if (doubles.length < n) {
        doubles = new double[Math.max(n, 2 * doubles.length)];
      }
      nullElement = UnsafeArrays.copyLogits(x, 8, doubles, Platform.DOUBLE_ARRAY_OFFSET);
    }
    nanElement = nullElement && hasNaN(x, isFloat);
  }

  /**
   * Copies a probability vector of float ({@code isFloat}) or double elements, widened to
   * double, into {@code out}, null elements as NaN.
   */
  private static void readInto(ArrayData x, boolean isFloat, double[] out) {
    if (!isFloat) {
      UnsafeArrays.copyLogits(x, 8, out, Platform.DOUBLE_ARRAY_OFFSET);
      return;
    }
    for (int i = 0; i < x.numElements(); i++) {
      out[i] = x.isNullAt(i) ? Double.NaN : x.getFloat(i);
    }
  }

  private float[] floatOut() {
    if (floatOut.length < n) {
      floatOut = new float[Math.max(n, 2 * floatOut.length)];
    }
    return floatOut;
  }

  private double[] doubleOut() {
    if (doubleOut.length < n) {
      doubleOut = new double[Math.max(n, 2 * doubleOut.length)];
    }
    return doubleOut;
  }
}
