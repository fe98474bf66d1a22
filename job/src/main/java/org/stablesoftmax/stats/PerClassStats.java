package org.stablesoftmax.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.IntToDoubleFunction;

/**
 * The per-class sums of {@code --per-class}, mergeable: per class its support (rows of that
 * label), its predictions (rows of that top-1 class) and true positives, as counts and as
 * {@link FixedPoint} sums of the sample weights; the sums of its rows' finite losses and loss
 * weights; the sum of the confidence of its predictions; and per (label, wrong prediction) pair
 * its count; and for the classwise calibration error (Kull et al. 2019), every class's
 * probability of every row, binned: per class the sum of p_c (16 bytes a class, dense),
 * and sparsely the bins above the first, which only p_c >= 1 / bins reach. The other figures keep
 * only the classes that occur. Every sum is an integer, so any merge gives the same state.
 *
 * <p>Not thread-safe.
 */
public final class PerClassStats implements Serializable {

  private static final long serialVersionUID = 1L;

  // per class: counts, then fixed-point sums (two words each)
  static final int SUPPORT = 0;
  static final int PREDICTED = 1;
  static final int TRUE_POSITIVES = 2;
  static final int NON_FINITE = 3;
  static final int SUPPORT_WEIGHT = 4;
  static final int PREDICTED_WEIGHT = 6;
  static final int TP_WEIGHT = 8;
  static final int LOSS = 10;
  static final int LOSS_WEIGHT = 12;
  static final int CONFIDENCE = 14;
  static final int OVERFLOW = 16;
  static final int SIZE = 17;

  private final HashMap<Integer, long[]> classes = new HashMap<>();
  /** Per (label << 32 | prediction), label != prediction: the rows. */
  private final HashMap<Long, long[]> wrong = new HashMap<>();

  // the classwise calibration error (Kull et al. 2019): per class c, p_c of every row binned
  /** The calibration bins. */
  private final int bins;
  /** The {@link FixedPoint} sum of the weights of the rows whose probabilities are binned. */
  private final long[] binnedWeight = new long[2];
  /** The widest row: the classes are 0 .. classes - 1. */
  private int classCount;
  /** Per class, the fixed-point sum of s p_c over the binned rows (two words a class). */
  private long[] probabilitySums = new long[0];
  /** Per class, the fixed-point sum of s over the binned rows of that label. */
  private final HashMap<Integer, long[]> labelWeight = new HashMap<>();
  /**
   * Per (class, bin) with bin >= 1, which only p_c >= 1 / bins reach (so at most {@code bins}
   * classes a row): the fixed-point sums of s over the rows of that label and of s p_c. Bin 0
   * is the rest.
   */
  private final HashMap<Long, long[]> upperBins = new HashMap<>();
  /** {@link #classwiseErrors()} once computed (a pass over every class); reset by changes. */
  private transient double[] errors;

  /** Per-class sums with {@code bins} calibration bins for the classwise error. */
  public PerClassStats(int bins) {
    this.bins = bins;
  }

  /**
   * Adds an evaluated row of label {@code y}, top-1 prediction {@code predicted} (negative for
   * none), sample weight {@code s}, loss weight {@code w}, loss and confidence.
   */
  public void add(int y, int predicted, double s, double w, double loss, double confidence) {
    errors = null;
    long[] label = record(y);
    label[SUPPORT]++;
    boolean fits = FixedPoint.add(label, SUPPORT_WEIGHT, s);
    if (Double.isFinite(loss)) {
      fits &= FixedPoint.add(label, LOSS, s * loss) & FixedPoint.add(label, LOSS_WEIGHT, s * w);
    } else {
      label[NON_FINITE]++;
    }
    if (predicted >= 0) {
      long[] p = predicted == y ? label : record(predicted);
      p[PREDICTED]++;
      fits &= FixedPoint.add(p, PREDICTED_WEIGHT, s);
      if (confidence >= 0 && confidence <= 1) {
        fits &= FixedPoint.add(p, CONFIDENCE, s * confidence);
      }
      if (predicted == y) {
        label[TRUE_POSITIVES]++;
        fits &= FixedPoint.add(label, TP_WEIGHT, s);
      } else {
        wrong.computeIfAbsent(((long) y << 32) | predicted, k -> new long[1])[0]++;
      }
    }
    if (!fits) {
      label[OVERFLOW] = 1;
    }
  }

  /**
   * Bins every class's probability of a row of label {@code y} and sample weight {@code s}:
   * {@code p.applyAsDouble(c)} for {@code c} in {@code [0, n)}, all finite.
   */
  public void addProbabilities(int n, int y, double s, IntToDoubleFunction p) {
    errors = null;
    if (n > classCount) {
      classCount = n;
      if (2 * n > probabilitySums.length) {
        probabilitySums = Arrays.copyOf(probabilitySums,
            Math.max(2 * n, 2 * probabilitySums.length));
      }
    }
    FixedPoint.add(binnedWeight, 0, s);
    FixedPoint.add(labelWeight.computeIfAbsent(y, k -> new long[2]), 0, s);
    double firstEdge = PartitionStats.edge(1, bins);
    for (int c = 0; c < n; c++) {
      double pc = p.applyAsDouble(c);
      FixedPoint.add(probabilitySums, 2 * c, s * pc);
      if (bins > 1 && pc >= firstEdge) {
        int b = PartitionStats.bin(pc, bins);
        long[] cell = upperBins.computeIfAbsent((long) c * bins + b, k -> new long[4]);
        if (c == y) {
          FixedPoint.add(cell, 0, s);
        }
        FixedPoint.add(cell, 2, s * pc);
      }
    }
  }

  /**
   * The classwise calibration error of each class {@code 0 .. classes - 1}: Σ_b |Σ_{B_cb} s [y =
   * c] − Σ_{B_cb} s p_c| / Σ s over the bins B_cb of p_c, exactly from the integers, rounded
   * once; an empty array without binned weight.
   */
  public double[] classwiseErrors() {
    if (errors == null) {
      errors = computeClasswiseErrors();
    }
    return errors.clone();
  }

  private double[] computeClasswiseErrors() {
    BigInteger total = FixedPoint.units(binnedWeight, 0);
    if (total.signum() <= 0) {
      return new double[0];
    }
    int k = classCount;
    // per class: Σ over its upper bins of |gap|, and what the upper bins take from bin 0
    BigInteger[] upper = new BigInteger[k];
    BigInteger[] upperHits = new BigInteger[k];
    BigInteger[] upperP = new BigInteger[k];
    Arrays.fill(upper, BigInteger.ZERO);
    Arrays.fill(upperHits, BigInteger.ZERO);
    Arrays.fill(upperP, BigInteger.ZERO);
    upperBins.forEach((key, cell) -> {
      int c = (int) (key / bins);
      BigInteger hits = FixedPoint.units(cell, 0);
      BigInteger p = FixedPoint.units(cell, 2);
      upper[c] = upper[c].add(hits.subtract(p).abs());
      upperHits[c] = upperHits[c].add(hits);
      upperP[c] = upperP[c].add(p);
    });
    BigDecimal weight = new BigDecimal(total);
    double[] out = new double[k];
    for (int c = 0; c < k; c++) {
      long[] y = labelWeight.get(c);
      BigInteger hits0 = (y == null ? BigInteger.ZERO : FixedPoint.units(y, 0))
          .subtract(upperHits[c]);
      BigInteger p0 = FixedPoint.units(probabilitySums, 2 * c).subtract(upperP[c]);
      BigInteger gap = upper[c].add(hits0.subtract(p0).abs());
      out[c] = new BigDecimal(gap).divide(weight, MathContext.DECIMAL128).doubleValue();
    }
    return out;
  }

  /** Kull et al.'s classwise ECE: the mean over the classes of {@link #classwiseErrors}. */
  public double classwiseEce() {
    double[] e = classwiseErrors();
    if (e.length == 0) {
      return Double.NaN;
    }
    ExactSum sum = new ExactSum();
    for (double x : e) {
      sum.add(x);
    }
    return sum.doubleValue() / e.length;
  }

  private long[] record(int c) {
    return classes.computeIfAbsent(c, k -> new long[SIZE]);
  }

  /** Adds {@code other}'s sums into these; {@code other} is unchanged. */
  public void merge(PerClassStats other) {
    errors = null;
    other.classes.forEach((c, theirs) -> {
      long[] mine = record(c);
      for (int f = SUPPORT; f < SUPPORT_WEIGHT; f++) {
        mine[f] += theirs[f];
      }
      boolean fits = true;
      for (int f = SUPPORT_WEIGHT; f < OVERFLOW; f += 2) {
        fits &= FixedPoint.addWords(mine, f, theirs[f], theirs[f + 1]);
      }
      mine[OVERFLOW] |= theirs[OVERFLOW] | (fits ? 0 : 1);
    });
    other.wrong.forEach((k, n) -> wrong.computeIfAbsent(k, x -> new long[1])[0] += n[0]);
    if (other.classCount > classCount) {
      classCount = other.classCount;
      probabilitySums = Arrays.copyOf(probabilitySums,
          Math.max(probabilitySums.length, 2 * classCount));
    }
    for (int at = 0; at < 2 * other.classCount; at += 2) {
      FixedPoint.addWords(probabilitySums, at, other.probabilitySums[at],
          other.probabilitySums[at + 1]);
    }
    FixedPoint.addWords(binnedWeight, 0, other.binnedWeight[0], other.binnedWeight[1]);
    other.labelWeight.forEach((c, w) -> FixedPoint.addWords(
        labelWeight.computeIfAbsent(c, x -> new long[2]), 0, w[0], w[1]));
    other.upperBins.forEach((key, theirs) -> {
      long[] mine = upperBins.computeIfAbsent(key, x -> new long[4]);
      FixedPoint.addWords(mine, 0, theirs[0], theirs[1]);
      FixedPoint.addWords(mine, 2, theirs[2], theirs[3]);
    });
  }

  /**
   * One class's figures: counts, weights (the counts without sample weights), and the means,
   * NaN where undefined; {@code mostFrequentWrong} is -1 for none; {@code calibrationError} its
   * classwise calibration error (NaN for a class beyond the widest row).
   */
  public record ClassFigures(int label, long support, long predicted, long truePositives,
      double supportWeight, double predictedWeight, double tpWeight, double meanLoss,
      double meanConfidenceWhenPredicted, int mostFrequentWrong, long mostFrequentWrongRows,
      double calibrationError) {

    /** tp / predicted (weighted); NaN for a class never predicted. */
    public double precision() {
      return predictedWeight == 0 ? Double.NaN : tpWeight / predictedWeight;
    }

    /** tp / support (weighted); NaN for a class never the label. */
    public double recall() {
      return supportWeight == 0 ? Double.NaN : tpWeight / supportWeight;
    }

    /** 2 tp / (support + predicted) (weighted), as scikit-learn 1.3+; NaN if both are 0. */
    public double f1() {
      double d = supportWeight + predictedWeight;
      return d == 0 ? Double.NaN : 2 * tpWeight / d;
    }
  }

  /** The classes that occur as a label or a prediction, in class order. */
  public List<ClassFigures> figures() {
    // the most frequent wrong prediction per label: the most rows, ties to the smaller class
    Map<Integer, long[]> worst = new HashMap<>();
    wrong.forEach((k, n) -> {
      int y = (int) (k >>> 32);
      int p = (int) (long) k;
      long[] w = worst.get(y);
      if (w == null || n[0] > w[1] || (n[0] == w[1] && p < w[0])) {
        worst.put(y, new long[] {p, n[0]});
      }
    });
    double[] calibration = classwiseErrors();
    List<ClassFigures> out = new ArrayList<>();
    for (Map.Entry<Integer, long[]> e : new TreeMap<>(classes).entrySet()) {
      long[] r = e.getValue();
      long[] w = worst.get(e.getKey());
      double lossWeight = FixedPoint.value(r, LOSS_WEIGHT);
      double predictedWeight = FixedPoint.value(r, PREDICTED_WEIGHT);
      boolean ok = r[OVERFLOW] == 0;
      out.add(new ClassFigures(e.getKey(), r[SUPPORT], r[PREDICTED], r[TRUE_POSITIVES],
          FixedPoint.value(r, SUPPORT_WEIGHT), predictedWeight, FixedPoint.value(r, TP_WEIGHT),
          ok && lossWeight != 0 ? FixedPoint.value(r, LOSS) / lossWeight : Double.NaN,
          ok && predictedWeight != 0 ? FixedPoint.value(r, CONFIDENCE) / predictedWeight
              : Double.NaN,
          w == null ? -1 : (int) w[0], w == null ? 0 : w[1],
          e.getKey() >= 0 && e.getKey() < calibration.length ? calibration[e.getKey()]
              : Double.NaN));
    }
    return out;
  }

  /**
   * scikit-learn's averages of precision, recall and F1 over {@code figures}: {@code macro} the
   * plain mean over the classes, {@code weighted} the mean weighted by support; an undefined
   * figure counts as 0, as scikit-learn's {@code zero_division="warn"} does. Each sum exact,
   * divided once.
   *
   * @return {macro precision, recall, F1, weighted precision, recall, F1}, NaN for no class
   */
  public static double[] averages(List<ClassFigures> figures) {
    ExactSum[] macro = {new ExactSum(), new ExactSum(), new ExactSum()};
    ExactSum[] weighted = {new ExactSum(), new ExactSum(), new ExactSum()};
    ExactSum support = new ExactSum();
    for (ClassFigures f : figures) {
      double[] v = {f.precision(), f.recall(), f.f1()};
      for (int i = 0; i < 3; i++) {
        double x = Double.isNaN(v[i]) ? 0 : v[i];
        macro[i].add(x);
        weighted[i].addProduct(f.supportWeight(), x);
      }
      support.add(f.supportWeight());
    }
    double[] out = new double[6];
    double n = figures.size();
    double s = support.doubleValue();
    for (int i = 0; i < 3; i++) {
      out[i] = n == 0 ? Double.NaN : macro[i].doubleValue() / n;
      out[3 + i] = s == 0 ? Double.NaN : weighted[i].doubleValue() / s;
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PerClassStats t) || !classes.keySet().equals(t.classes.keySet())
        || !wrong.keySet().equals(t.wrong.keySet())) {
      return false;
    }
    for (Map.Entry<Integer, long[]> e : classes.entrySet()) {
      if (!Arrays.equals(e.getValue(), t.classes.get(e.getKey()))) {
        return false;
      }
    }
    for (Map.Entry<Long, long[]> e : wrong.entrySet()) {
      if (e.getValue()[0] != t.wrong.get(e.getKey())[0]) {
        return false;
      }
    }
    if (!Arrays.equals(binnedWeight, t.binnedWeight) || classCount != t.classCount
        || bins != t.bins
        || !Arrays.equals(probabilitySums, 0, 2 * classCount, t.probabilitySums, 0,
            2 * classCount)
        || !labelWeight.keySet().equals(t.labelWeight.keySet())
        || !upperBins.keySet().equals(t.upperBins.keySet())) {
      return false;
    }
    for (Map.Entry<Integer, long[]> e : labelWeight.entrySet()) {
      if (!Arrays.equals(e.getValue(), t.labelWeight.get(e.getKey()))) {
        return false;
      }
    }
    for (Map.Entry<Long, long[]> e : upperBins.entrySet()) {
      if (!Arrays.equals(e.getValue(), t.upperBins.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Objects.hash(classes.size(), wrong.size());
  }
}
