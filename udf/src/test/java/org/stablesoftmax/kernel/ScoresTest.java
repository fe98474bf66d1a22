package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import ch.obermuhlner.math.big.BigDecimalMath;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rows of probabilities and of log-probabilities: the loss is {@code -log(p_y / Σ p)} (the row
 * renormalized, as scikit-learn's {@code log_loss} up to 1.4), against big-math; a row that does
 * not sum to 1 within 1e-6 is {@code NOT_NORMALIZED}; a zero on the label is an infinite loss.
 */
class ScoresTest {

  private static final MathContext MC = new MathContext(40);

  private static RowResult compute(Scores scores, double[] x, int label) {
    RowResult r = new RowResult().scores(scores);
    return r.compute((row, t) -> row.analyze(x, 0, x.length, t), false, false,
        RowResult.LABEL_PRESENT, label, 1.0, NaiveDtype.FLOAT32);
  }

  @Test
  void theLossOfProbabilitiesIsMinusTheLogOfTheRenormalizedLabelsShare() {
    SplittableRandom rng = new SplittableRandom(2);
    Bounds.Worst worst = new Bounds.Worst();
    for (int r = 0; r < 2000; r++) {
      int n = 2 + rng.nextInt(rng.nextBoolean() ? 5 : 200);
      double[] p = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        p[i] = Math.pow(rng.nextDouble(), 1 + rng.nextInt(8));
        sum += p[i];
      }
      for (int i = 0; i < n; i++) {
        p[i] /= sum;
      }
      int y = rng.nextInt(n);
      BigDecimal total = BigDecimal.ZERO;
      for (double v : p) {
        total = total.add(new BigDecimal(v));
      }
      BigDecimal exact = BigDecimalMath.log(total.divide(new BigDecimal(p[y]), MC), MC);
      RowResult result = compute(Scores.PROBABILITIES, p, y);
      // each log p_i rounds, by up to half an ulp of |log p_i|, and the loss moves by its
      // softmax share of that (1 - share for the label): the conversion's own condition
      double sensitivity = 0;
      for (int i = 0; i < n; i++) {
        double share = p[i] / total.doubleValue();
        sensitivity += (i == y ? 1 - share : share) * Math.abs(Math.log(p[i]));
      }
      double error = new BigDecimal(result.loss()).subtract(exact).abs().doubleValue();
      double allowed = Bounds.CROSS_ENTROPY_ULPS * Reference.ulpOf(exact)
          + sensitivity * Math.ulp(1.0) / 2;
      worst.offer(r, y, result.loss(), exact, error / allowed);
      assertThat(IncidentKind.NOT_NORMALIZED.in(result.incidents())).as("row %d", r)
          .isEqualTo(Math.abs(total.doubleValue() - 1) > 1e-6);
      // log-probabilities are logits: the same loss as their logs as logits
      double[] logs = new double[n];
      for (int i = 0; i < n; i++) {
        logs[i] = Math.log(p[i]);
      }
      assertThat(compute(Scores.LOG_PROBABILITIES, logs, y).loss())
          .isEqualTo(compute(Scores.LOGITS, logs, y).loss());
    }
    // in units of the allowed error: the kernel's 2 ulps plus the conversion's condition
    worst.assertAtMost("loss of probabilities, in units of the bound", 1.0);
  }

  @Test
  void rowsOffOneAreNotNormalizedAndZerosAreMasked() {
    assertThat(compute(Scores.PROBABILITIES, new double[] {0.5, 0.5 + 2e-6}, 0).incidents())
        .isEqualTo(IncidentKind.NOT_NORMALIZED.bit());
    assertThat(compute(Scores.PROBABILITIES, new double[] {0.5, 0.5 + 2e-7}, 0).incidents())
        .isZero();
    assertThat(compute(Scores.LOG_PROBABILITIES, new double[] {Math.log(0.3), Math.log(0.8)}, 1)
        .incidents()).isEqualTo(IncidentKind.NOT_NORMALIZED.bit());
    assertThat(compute(Scores.LOGITS, new double[] {5, 7}, 1).incidents()).isZero();
    RowResult zero = compute(Scores.PROBABILITIES, new double[] {1.0, 0.0}, 1);
    assertThat(zero.loss()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(IncidentKind.TARGET_MASKED.in(zero.incidents())).isTrue();
    RowResult negative = compute(Scores.PROBABILITIES, new double[] {1.5, -0.5}, 0);
    assertThat(IncidentKind.NAN_LOGIT.in(negative.incidents())).isTrue();
    assertThat(negative.loss()).isNaN();
    assertThat(IncidentKind.NOT_NORMALIZED.in(compute(Scores.PROBABILITIES,
        new double[] {0, 0}, 0).incidents())).as("a row of zeros").isTrue();
    // the caller's array keeps its probabilities
    double[] p = {0.25, 0.75};
    compute(Scores.PROBABILITIES, p, 0);
    assertThat(p).containsExactly(0.25, 0.75);
  }
}
