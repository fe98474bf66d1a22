package org.stablesoftmax.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded rows of logits for the accuracy tests, and the crafted ones. */
public final class Rows {

  /** One test row: logits, a label that is not masked, a temperature. */
  public record Case(String name, double[] x, int label, double temperature) {
    @Override
    public String toString() {
      return name + " (C=" + x.length + ", T=" + temperature + ", label=" + label + ")";
    }
  }

  private Rows() {}

  private static final double[] TEMPERATURES = {1e-3, 0.5, 3.7, 100.0};

  /** {@code count} rows from {@code seed}: 1 to 2000 values, many shapes, finite or -inf. */
  public static List<Case> generated(long seed, int count) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Case> cases = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      int len = (int) Math.floor(Math.exp(rng.nextDouble() * Math.log(2000.0))) ;
      len = Math.max(1, Math.min(2000, len));
      int style = rng.nextInt(8);
      double[] x = new double[len];
      String name;
      switch (style) {
        case 0: { // gaussian, any scale
          double sigma = Math.pow(10, rng.nextDouble(-3, 3));
          double mu = rng.nextDouble(-10, 10) * sigma;
          fillGaussian(rng, x, mu, sigma);
          name = "gaussian";
          break;
        }
        case 1: { // large offset, small spread: x_i - max rounds
          double mu = sign(rng) * Math.pow(10, rng.nextDouble(0, 300));
          double sigma = Math.abs(mu) * Math.pow(10, rng.nextDouble(-16, -1));
          fillGaussian(rng, x, mu, Math.max(sigma, Double.MIN_NORMAL));
          name = "offset";
          break;
        }
        case 2: { // magnitudes from 1e-300 to 1e300
          for (int i = 0; i < len; i++) {
            x[i] = sign(rng) * Math.pow(10, rng.nextDouble(-300, 300));
          }
          name = "magnitudes";
          break;
        }
        case 3: { // one class holds almost all the probability
          fillGaussian(rng, x, 0.0, 1.0);
          int top = rng.nextInt(len);
          double gap = rng.nextDouble(5, 60);
          double m = Arrays.stream(x).max().getAsDouble();
          x[top] = m + gap;
          name = "dominant";
          break;
        }
        case 4: { // ties: few distinct values
          int distinct = 1 + rng.nextInt(3);
          double[] values = new double[distinct];
          for (int j = 0; j < distinct; j++) {
            values[j] = rng.nextDouble(-50, 50);
          }
          for (int i = 0; i < len; i++) {
            x[i] = values[rng.nextInt(distinct)];
          }
          name = "ties";
          break;
        }
        case 5: { // masked classes
          fillGaussian(rng, x, 0.0, Math.pow(10, rng.nextDouble(-1, 2)));
          for (int i = 0; i < len - 1; i++) {
            if (rng.nextDouble() < 0.3) {
              x[rng.nextInt(len)] = Double.NEGATIVE_INFINITY;
            }
          }
          x[rng.nextInt(len)] = rng.nextDouble(-5, 5); // at least one class stays
          name = "masked";
          break;
        }
        case 6: { // near the overflow and underflow thresholds of exp
          double[] centers = {709.78, -709.78, 745.13, -745.13, 88.72, -88.72, 103.97, -103.97};
          double c = centers[rng.nextInt(centers.length)];
          for (int i = 0; i < len; i++) {
            x[i] = c + rng.nextDouble(-2, 2);
          }
          name = "thresholds";
          break;
        }
        default: { // huge spread
          for (int i = 0; i < len; i++) {
            x[i] = rng.nextDouble(-1, 1) * Math.pow(10, rng.nextDouble(0, 4));
          }
          name = "spread";
          break;
        }
      }
      double t = rng.nextDouble() < 0.8 ? 1.0 : TEMPERATURES[rng.nextInt(TEMPERATURES.length)];
      int label = rng.nextBoolean() ? argmax(x) : rng.nextInt(len);
      while (x[label] == Double.NEGATIVE_INFINITY) {
        label = rng.nextInt(len);
      }
      cases.add(new Case(name + "#" + n, x, label, t));
    }
    return cases;
  }

  /** The crafted table: the seed articles' examples and the awkward rows. */
  public static List<Case> crafted() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("seed [1000,1001,1002]", new double[] {1000, 1001, 1002}, 0, 1.0));
    cases.add(new Case("seed [10,2,10000,4]", new double[] {10, 2, 10000, 4}, 0, 1.0));
    cases.add(new Case("seed [1000,1,-1000] label 2", new double[] {1000, 1, -1000}, 2, 1.0));
    for (double t : new double[] {0.001, 1.0, 100.0}) {
      cases.add(new Case("seed [38,20,40,39] T=" + t, new double[] {38, 20, 40, 39}, 2, t));
    }
    cases.add(new Case("seed [-1000,-1001,-1002]", new double[] {-1000, -1001, -1002}, 2, 1.0));
    for (double c : new double[] {709.78, 745.13, 88.72, 103.97}) {
      for (double sign : new double[] {1, -1}) {
        double v = sign * c;
        cases.add(new Case("near " + v, new double[] {v, v - 1, v - 0.5, v + 0.25}, 1, 1.0));
        cases.add(new Case("near " + v + " with 0", new double[] {0.0, v}, 0, 1.0));
      }
    }
    cases.add(new Case("[DBL_MAX x3]",
        new double[] {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE}, 1, 1.0));
    cases.add(new Case("[DBL_MAX, -DBL_MAX]",
        new double[] {Double.MAX_VALUE, -Double.MAX_VALUE}, 1, 1.0));
    cases.add(new Case("[-DBL_MAX x2]",
        new double[] {-Double.MAX_VALUE, -Double.MAX_VALUE}, 0, 1.0));
    double[] nearMinusMax = new double[40];
    for (int i = 0; i < nearMinusMax.length; i++) {
      nearMinusMax[i] = i % 3 == 0 ? Double.NEGATIVE_INFINITY : -Double.MAX_VALUE + i * 0x1p975;
    }
    cases.add(new Case("near -DBL_MAX, masked", nearMinusMax, 5, 1.0));
    cases.add(new Case("near -DBL_MAX, masked, T=3", nearMinusMax, 5, 3.0));
    double[] tinyT = new double[24];
    for (int i = 0; i < tinyT.length; i++) {
      tinyT[i] = i % 5 == 0 ? Double.NEGATIVE_INFINITY : 1e300 - (i % 3) * 1e285;
    }
    cases.add(new Case("1e300 at T=1e-250, masked", tinyT, 1, 1e-250));
    cases.add(new Case("single", new double[] {3.25}, 0, 1.0));
    cases.add(new Case("single tiny T", new double[] {-7e200}, 0, 1e-3));
    cases.add(new Case("subnormals", new double[] {Double.MIN_VALUE, -Double.MIN_VALUE, 0.0},
        2, 1.0));
    cases.add(new Case("dominant by 40", new double[] {0, 40, 1, -3}, 1, 1.0));
    cases.add(new Case("dominant by 700", new double[] {0, 700, 1, -3}, 1, 1.0));
    SplittableRandom rng = new SplittableRandom(131072);
    double[] wide = new double[131072];
    fillGaussian(rng, wide, 0.0, 4.0);
    cases.add(new Case("131072 classes", wide, 4242, 1.0));
    double[] wideDominant = wide.clone();
    wideDominant[77] = 60.0;
    cases.add(new Case("131072 classes, dominant", wideDominant, 77, 1.0));
    return cases;
  }

  static int argmax(double[] x) {
    int k = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[k]) {
        k = i;
      }
    }
    return k;
  }

  private static double sign(SplittableRandom rng) {
    return rng.nextBoolean() ? 1.0 : -1.0;
  }

  private static void fillGaussian(SplittableRandom rng, double[] x, double mu, double sigma) {
    for (int i = 0; i < x.length; i++) {
      // Box-Muller, one value per pair
      double u1 = 1.0 - rng.nextDouble();
      double u2 = rng.nextDouble();
      x[i] = mu + sigma * Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
  }
}
