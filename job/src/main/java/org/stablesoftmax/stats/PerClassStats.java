package org.stablesoftmax.stats;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The per-class sums of {@code --per-class}, mergeable: per class its support (rows of that
 * label), its predictions (rows of that top-1 class) and true positives, as counts and as
 * {@link FixedPoint} sums of the sample weights; the sums of its rows' finite losses and loss
 * weights; the sum of the confidence of its predictions; and per (label, wrong prediction) pair
 * its count. Only the classes that occur are kept, so the state grows with the rows, not with the
 * number of classes. Every sum is an integer, so any merge gives the same state.
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

  /**
   * Adds an evaluated row of label {@code y}, top-1 prediction {@code predicted} (negative for
   * none), sample weight {@code s}, loss weight {@code w}, loss and confidence.
   */
  public void add(int y, int predicted, double s, double w, double loss, double confidence) {
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

  private long[] record(int c) {
    return classes.computeIfAbsent(c, k -> new long[SIZE]);
  }

  /** Adds {@code other}'s sums into these; {@code other} is unchanged. */
  public void merge(PerClassStats other) {
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
  }

  /**
   * One class's figures: counts, weights (the counts without sample weights), and the means,
   * NaN where undefined; {@code mostFrequentWrong} is -1 for none.
   */
  public record ClassFigures(int label, long support, long predicted, long truePositives,
      double supportWeight, double predictedWeight, double tpWeight, double meanLoss,
      double meanConfidenceWhenPredicted, int mostFrequentWrong, long mostFrequentWrongRows) {

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
          w == null ? -1 : (int) w[0], w == null ? 0 : w[1]));
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
      if (!java.util.Arrays.equals(e.getValue(), t.classes.get(e.getKey()))) {
        return false;
      }
    }
    for (Map.Entry<Long, long[]> e : wrong.entrySet()) {
      if (e.getValue()[0] != t.wrong.get(e.getKey())[0]) {
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
