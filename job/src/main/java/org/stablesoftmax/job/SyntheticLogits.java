package org.stablesoftmax.job;

import java.util.SplittableRandom;
import org.stablesoftmax.kernel.StableSoftmax;

/**
 * The rows of {@code stablesoftmax generate}: row {@code id} depends only on the seed and the id,
 * so a dataset is the same whatever the number of files or partitions.
 *
 * <p>Most rows are Gaussian logits (σ = 3) whose label is the top class 60% of the time. A
 * fraction are extreme, the seed articles' cases: shifted by +1000 (a naive float32 softmax
 * overflows) or -1000 (it underflows), one class ahead by 10,000 (saturated), a wide spread that
 * sends the label's naive probability to 0, and masked classes ({@code -inf}). A fraction are bad:
 * null logits, a NaN, a {@code +inf}, all {@code -inf}, an empty array, a null element, a null
 * label, a label out of range.
 */
public final class SyntheticLogits implements java.io.Serializable {

  private static final long serialVersionUID = 1L;

  /** One generated row; {@code logits} null for null logits, {@code label} null for none. */
  public record Row(long id, Integer label, double[] logits, boolean[] nullElements) {}

  private final long seed;
  private final int classes;
  private final double extremeFraction;
  private final double badFraction;

  public SyntheticLogits(long seed, int classes, double extremeFraction, double badFraction) {
    if (classes < 1) {
      throw new UserError("--classes must be at least 1, got " + classes + ".");
    }
    if (!(extremeFraction >= 0 && badFraction >= 0 && extremeFraction + badFraction <= 1)) {
      throw new UserError("--extreme-fraction and --bad-fraction must be in [0, 1] and add up"
          + " to at most 1, got " + extremeFraction + " and " + badFraction + ".");
    }
    this.seed = seed;
    this.classes = classes;
    this.extremeFraction = extremeFraction;
    this.badFraction = badFraction;
  }

  public Row row(long id) {
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + id);
    double[] x = new double[classes];
    for (int i = 0; i < classes; i++) {
      x[i] = 3.0 * gaussian(rng);
    }
    int top = StableSoftmax.argmax(x);
    int label = rng.nextDouble() < 0.6 ? top : rng.nextInt(classes);
    double u = rng.nextDouble();
    if (u < badFraction) {
      return bad(id, rng, x, label);
    }
    if (u < badFraction + extremeFraction) {
      extreme(rng, x, label);
    }
    return new Row(id, label, x, null);
  }

  private Row bad(long id, SplittableRandom rng, double[] x, int label) {
    switch (rng.nextInt(8)) {
      case 0:
        return new Row(id, label, null, null);
      case 1:
        x[rng.nextInt(classes)] = Double.NaN;
        return new Row(id, label, x, null);
      case 2:
        x[rng.nextInt(classes)] = Double.POSITIVE_INFINITY;
        return new Row(id, label, x, null);
      case 3:
        java.util.Arrays.fill(x, Double.NEGATIVE_INFINITY);
        return new Row(id, label, x, null);
      case 4:
        return new Row(id, label, new double[0], null);
      case 5: {
        boolean[] nulls = new boolean[classes];
        nulls[rng.nextInt(classes)] = true;
        return new Row(id, label, x, nulls);
      }
      case 6:
        return new Row(id, null, x, null);
      default:
        return new Row(id, rng.nextBoolean() ? -1 : classes + rng.nextInt(10), x, null);
    }
  }

  private void extreme(SplittableRandom rng, double[] x, int label) {
    switch (rng.nextInt(5)) {
      case 0:
        add(x, 1000.0);
        break;
      case 1:
        add(x, -1000.0);
        break;
      case 2:
        x[StableSoftmax.argmax(x)] += 10000.0;
        break;
      case 3: {
        // spread wide, the top logit at 0: no overflow, and a label far below the top
        // underflows naively
        double top = 40.0 * x[StableSoftmax.argmax(x)];
        for (int i = 0; i < classes; i++) {
          x[i] = 40.0 * x[i] - top;
        }
        break;
      }
      default:
        for (int i = 0; i < classes; i++) {
          if (i != label && rng.nextInt(4) == 0) {
            x[i] = Double.NEGATIVE_INFINITY;
          }
        }
    }
  }

  private static void add(double[] x, double c) {
    for (int i = 0; i < x.length; i++) {
      x[i] += c;
    }
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * rng.nextDouble());
  }
}
