package org.stablesoftmax.stats;

/**
 * Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): the T that
 * minimizes the mean NLL of the rows, found as the root of its derivative in {@code β = 1 / T},
 * where the mean NLL is convex (its second derivative is the mean variance of the logits under
 * the scaled softmax). Safeguarded Newton: each step keeps a bracket {@code [lo, hi]} of the
 * root, starting from {@code [1e-3, 1e3]}, and takes the Newton point {@code β - f'/f''} when it
 * falls strictly inside and at least halves the step, else tries the bound of the bracket it
 * heads for (once each), else the bracket's geometric midpoint; it stops when β changes by less
 * than {@code 1e-10} relative, at a bound where the NLL still falls beyond it, or after 50
 * steps. Each step is one pass over the rows ({@link
 * Pass}), whose sums are exact, so the fit is the same to the bit whatever the partitioning.
 */
public final class TemperatureFit {

  /** The bracket of β = 1 / T. */
  public static final double MIN_BETA = 1e-3;
  public static final double MAX_BETA = 1e3;
  /** The relative change of β at which the fit stops. */
  public static final double TOLERANCE = 1e-10;
  /** The most steps (passes after the first). */
  public static final int MAX_ITERATIONS = 50;
  /** The fewest rows to fit on: on fewer, T is known to run off (to 0 or without bound). */
  public static final long MIN_ROWS = 100;

  /** An evaluation of every row at temperature {@code t}, with its {@link TemperatureSums}. */
  public interface Pass {
    PartitionStats at(double t);
  }

  /**
   * The fit: the temperature {@code T = 1 / β}, the steps taken, whether β settled (its change
   * below the tolerance, or a derivative of exactly 0), whether it settled on a bound of the
   * bracket with the derivative pointing beyond it, and the evaluation at T (that of the last
   * pass, at exactly this T).
   */
  public record Result(double temperature, int iterations, boolean converged, boolean atBound,
      PartitionStats after) {}

  private TemperatureFit() {}

  /**
   * Fits from {@code atOne}, the evaluation at T = 1 with its temperature sums, taking further
   * passes of {@code pass}.
   */
  public static Result fit(PartitionStats atOne, Pass pass) {
    double lo = MIN_BETA;
    double hi = MAX_BETA;
    // whether the derivative's sign is known at lo and hi (not yet at the bracket's bounds)
    boolean loKnown = false;
    boolean hiKnown = false;
    double beta = 1.0;
    double lastStep = Double.POSITIVE_INFINITY;
    PartitionStats current = atOne;
    int iterations = 0;
    boolean converged = false;
    while (iterations < MAX_ITERATIONS) {
      TemperatureSums s = current.temperature();
      double d1 = s.derivative();
      if (d1 == 0 || (beta == MAX_BETA && d1 < 0) || (beta == MIN_BETA && d1 > 0)) {
        converged = true; // a root, or the minimum at a bound of the bracket
        break;
      }
      if (d1 > 0) {
        hi = beta;
        hiKnown = true;
      } else {
        lo = beta;
        loKnown = true;
      }
      double newton = beta - d1 / s.secondDerivative();
      // Newton where it lands inside the bracket and at least halves the step (as Numerical
      // Recipes' rtsafe); else the bound not yet tried on the side it heads for (the minimum
      // may lie there: when every row is right by a margin, the NLL falls without end), else
      // the bracket's geometric midpoint
      double next;
      if (newton > lo && newton < hi && Math.abs(2 * (newton - beta)) <= lastStep) {
        next = newton;
      } else if (d1 < 0 && !hiKnown) {
        next = MAX_BETA;
      } else if (d1 > 0 && !loKnown) {
        next = MIN_BETA;
      } else {
        next = Math.sqrt(lo * hi);
      }
      iterations++;
      lastStep = Math.abs(next - beta);
      double change = lastStep / beta;
      beta = next;
      current = pass.at(1.0 / beta);
      if (change < TOLERANCE) {
        converged = true;
        break;
      }
    }
    double d1 = current.temperature().derivative();
    boolean atBound = (beta == MAX_BETA && d1 <= 0) || (beta == MIN_BETA && d1 >= 0);
    return new Result(1.0 / beta, iterations, converged, atBound, current);
  }
}
