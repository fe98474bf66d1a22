package org.stablesoftmax.udf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.Rows;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.kernel.StableSoftmax;

/**
 * One row of the SQL tests, and what each function must return for it, computed by calling the
 * kernel directly with the SQL semantics spelled out here: null logits, null elements (read as
 * NaN, incident {@code NULL_ELEMENT}), null or out-of-range labels, invalid temperatures.
 *
 * @param logits null for null logits; a null element is a null
 * @param target a probability vector for soft_cross_entropy, or null
 */
record SqlCase(long id, String name, Double[] logits, Long label, Double temperature,
    double[] target) {

  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType, false)
      .add("name", DataTypes.StringType, false)
      .add("xd", DataTypes.createArrayType(DataTypes.DoubleType, true), true)
      .add("xf", DataTypes.createArrayType(DataTypes.FloatType, true), true)
      .add("label", DataTypes.LongType, true)
      .add("t", DataTypes.DoubleType, true)
      .add("target", DataTypes.createArrayType(DataTypes.DoubleType, false), true);

  /** The seed examples, the kernel tests' crafted and generated rows, and the awkward rows. */
  static List<SqlCase> all() {
    List<SqlCase> cases = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(3);
    List<Rows.Case> kernelRows = new ArrayList<>(Rows.crafted());
    kernelRows.addAll(Rows.generated(20261121L, 150));
    for (Rows.Case c : kernelRows) {
      Double[] x = Arrays.stream(c.x()).boxed().toArray(Double[]::new);
      cases.add(new SqlCase(cases.size(), c.name(), x, (long) c.label(), c.temperature(),
          probabilities(rng, x.length)));
    }
    double inf = Double.POSITIVE_INFINITY;
    Object[][] awkward = {
        {"null logits", null, 0L},
        {"empty", new Double[0], 0L},
        {"null element", new Double[] {1.0, null, 3.0}, 0L},
        {"only a null", new Double[] {null}, 0L},
        {"NaN and null", new Double[] {Double.NaN, null, 2.0}, 2L},
        {"NaN", new Double[] {Double.NaN, 1.0}, 1L},
        {"+inf", new Double[] {1.0, inf}, 0L},
        {"-inf masked", new Double[] {-inf, 0.0, 1.0}, 2L},
        {"label masked", new Double[] {-inf, 0.0, 1.0}, 0L},
        {"all -inf", new Double[] {-inf, -inf}, 0L},
        {"+inf and -inf", new Double[] {inf, -inf}, 0L},
        {"null label", new Double[] {1.0, 2.0}, null},
        {"label -1", new Double[] {1.0, 2.0}, -1L},
        {"label = C", new Double[] {1.0, 2.0, 3.0}, 3L},
        {"label beyond int", new Double[] {1.0, 2.0}, 1L << 40},
        {"label int min", new Double[] {1.0, 2.0}, (long) Integer.MIN_VALUE},
        {"float overflow", new Double[] {1e39, 0.0}, 1L},
        {"ties", new Double[] {5.0, 5.0, 1.0, 5.0}, 3L},
    };
    for (Object[] a : awkward) {
      Double[] x = (Double[]) a[1];
      cases.add(new SqlCase(cases.size(), (String) a[0], x, (Long) a[2], 1.0,
          x == null ? null : probabilities(rng, x.length)));
    }
    Double[] seed = {1000.0, 1001.0, 1002.0};
    for (Double t : new Double[] {0.0, -1.0, Double.NaN, null, 1e-301, 0.25, 7.0}) {
      cases.add(new SqlCase(cases.size(), "temperature " + t, seed, 2L, t,
          probabilities(rng, 3)));
    }
    cases.add(new SqlCase(cases.size(), "target of another size", seed, 0L, 1.0,
        probabilities(rng, 2)));
    cases.add(new SqlCase(cases.size(), "null target", seed, 0L, 1.0, null));
    return cases;
  }

  private static double[] probabilities(SplittableRandom rng, int n) {
    double[] p = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      p[i] = rng.nextDouble();
      sum += p[i];
    }
    for (int i = 0; i < n; i++) {
      p[i] /= sum;
    }
    return p;
  }

  Row toRow() {
    List<Double> xd = logits == null ? null : Arrays.asList(logits);
    List<Float> xf = null;
    if (logits != null) {
      xf = new ArrayList<>();
      for (Double v : logits) {
        xf.add(v == null ? null : (float) (double) v);
      }
    }
    List<Double> tp = target == null ? null : Arrays.stream(target).boxed().toList();
    return RowFactory.create(id, name, xd, xf, label, temperature, tp);
  }

  // ------------------------------------------------------------------ what SQL must return

  boolean hasNullElement() {
    return logits != null && Arrays.asList(logits).contains(null);
  }

  /** The logits as the kernel reads them: null elements as NaN. */
  double[] doubles() {
    return Arrays.stream(logits).mapToDouble(v -> v == null ? Double.NaN : v).toArray();
  }

  float[] floats() {
    double[] d = doubles();
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  private boolean validTemperature() {
    return temperature != null && StableSoftmax.isValidTemperature(temperature);
  }

  /** softmax or log_softmax: float[] or double[], or null. */
  Object softmax(boolean isFloat, boolean log) {
    if (logits == null || !validTemperature()) {
      return null;
    }
    double t = temperature;
    if (isFloat) {
      return log ? StableSoftmax.logSoftmax(floats(), t) : StableSoftmax.softmax(floats(), t);
    }
    return log ? StableSoftmax.logSoftmax(doubles(), t) : StableSoftmax.softmax(doubles(), t);
  }

  /** The analyzed row, or null where SQL's answer is null. */
  private SoftmaxRow analyzed(boolean isFloat, double t) {
    if (logits == null || !StableSoftmax.isValidTemperature(t)) {
      return null;
    }
    return isFloat ? new SoftmaxRow().analyze(floats(), 0, logits.length, t)
        : new SoftmaxRow().analyze(doubles(), 0, logits.length, t);
  }

  private SoftmaxRow analyzed(boolean isFloat) {
    return temperature == null ? null : analyzed(isFloat, temperature);
  }

  Double logSumExp(boolean isFloat) {
    SoftmaxRow row = analyzed(isFloat);
    return row == null ? null : row.logSumExp();
  }

  Double crossEntropy(boolean isFloat) {
    SoftmaxRow row = analyzed(isFloat);
    if (row == null || label == null) {
      return null;
    }
    if (logits.length == 0) {
      return Double.NaN;
    }
    return label >= 0 && label < logits.length ? row.crossEntropy((int) (long) label) : null;
  }

  Double softCrossEntropy(boolean isFloat) {
    SoftmaxRow row = analyzed(isFloat);
    if (row == null || target == null || target.length != logits.length) {
      return null;
    }
    return row.softCrossEntropy(target, 0, org.stablesoftmax.kernel.CrossEntropyOptions.DEFAULT);
  }

  Double entropy(boolean isFloat) {
    SoftmaxRow row = analyzed(isFloat);
    return row == null ? null : row.entropy();
  }

  Double maxProbability(boolean isFloat) {
    SoftmaxRow row = analyzed(isFloat);
    return row == null ? null : row.maxProbability();
  }

  Integer argmax(boolean isFloat) {
    SoftmaxRow row = analyzed(isFloat, 1.0);
    return row == null || row.argmax() < 0 ? null : row.argmax();
  }

  int[] topK(boolean isFloat, int k) {
    SoftmaxRow row = analyzed(isFloat, 1.0);
    if (row == null) {
      return null;
    }
    int[] out = new int[Math.min(k, logits.length)];
    row.topK(k, out, 0);
    return out;
  }

  /** softmax_incidents(logits, label, dtype) as names. */
  List<String> incidents(boolean isFloat, NaiveDtype dtype) {
    int bits = label == null ? IncidentKind.NULL_LABEL.bit() : 0;
    if (logits == null) {
      bits |= IncidentKind.NULL_LOGITS.bit();
    } else {
      int k = label == null ? SoftmaxRow.NO_LABEL
          : label >= 0 && label < logits.length ? (int) (long) label : -1;
      bits |= analyzed(isFloat, 1.0).incidents(k, dtype);
      if (hasNullElement()) {
        bits |= IncidentKind.NULL_ELEMENT.bit();
        boolean realNaN = Arrays.stream(logits).anyMatch(v -> v != null && v.isNaN());
        if (!realNaN) {
          bits &= ~IncidentKind.NAN_LOGIT.bit();
        }
      }
    }
    return List.of(IncidentKind.names(bits));
  }

  @Override
  public String toString() {
    return "#" + id + " " + name;
  }
}
