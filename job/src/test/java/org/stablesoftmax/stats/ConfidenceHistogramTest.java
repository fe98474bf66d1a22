package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fine histogram behind the equal-mass bins: keys ordered as the confidences, sums exact
 * (against BigDecimal), merges associative and commutative, with and without weights.
 */
class ConfidenceHistogramTest {

  /** Confidences over the whole range, with the awkward ones: 0, subnormal, 0.5, near 1, 1. */
  private static double[] confidences(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] p = new double[n];
    double[] awkward = {0.0, Double.MIN_VALUE, 1e-300, 0.5, Math.nextDown(0.5), Math.nextUp(0.5),
        Math.nextDown(1.0), 1.0 - 0x1p-40, 1.0};
    for (int i = 0; i < n; i++) {
      p[i] = switch (i % 4) {
        case 0 -> awkward[rng.nextInt(awkward.length)];
        case 1 -> 1.0 - Math.pow(rng.nextDouble(), 8);
        default -> rng.nextDouble();
      };
    }
    return p;
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void keysFollowTheConfidencesAndSumsAreExact(long seed) {
    double[] p = confidences(seed, 5000);
    double[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      assertThat(ConfidenceHistogram.key(sorted[i])).as("key of %s", sorted[i])
          .isGreaterThanOrEqualTo(ConfidenceHistogram.key(sorted[i - 1]));
    }
    assertThat(ConfidenceHistogram.key(Math.nextDown(1.0)))
        .isLessThan(ConfidenceHistogram.key(1.0));

    SplittableRandom rng = new SplittableRandom(seed);
    for (boolean weighted : new boolean[] {false, true}) {
      ConfidenceHistogram[] parts = new ConfidenceHistogram[3];
      for (int k = 0; k < 3; k++) {
        parts[k] = new ConfidenceHistogram(weighted);
      }
      ConfidenceHistogram all = new ConfidenceHistogram(weighted);
      BigDecimal conf = BigDecimal.ZERO;
      BigDecimal weight = BigDecimal.ZERO;
      BigDecimal correct = BigDecimal.ZERO;
      for (double x : p) {
        boolean top1 = rng.nextBoolean();
        double s = weighted ? rng.nextDouble() * 5 : 1.0;
        parts[rng.nextInt(3)].add(x, top1, s);
        all.add(x, top1, s);
        BigDecimal w = new BigDecimal(s);
        conf = conf.add(w.multiply(new BigDecimal(x)));
        weight = weight.add(w);
        correct = top1 ? correct.add(w) : correct;
      }
      ConfidenceHistogram abc = new ConfidenceHistogram(weighted).merge(parts[0])
          .merge(parts[1]).merge(parts[2]);
      ConfidenceHistogram cba = new ConfidenceHistogram(weighted).merge(parts[2])
          .merge(new ConfidenceHistogram(weighted).merge(parts[1]).merge(parts[0]));
      assertThat(abc).isEqualTo(all).isEqualTo(cba);
      assertThat(abc.keys()).isEqualTo(all.keys()).isGreaterThan(100);
      assertThat(all.merge(new ConfidenceHistogram(weighted))).as("empty is the identity")
          .isEqualTo(abc);

      AdaptiveBins one = AdaptiveBins.of(abc, 1);
      assertThat(one.rows[0]).isEqualTo(p.length);
      assertThat(one.confidence[0]).isEqualTo(conf.doubleValue());
      assertThat(one.weight[0]).isEqualTo(weight.doubleValue());
      assertThat(one.correct[0]).isEqualTo(correct.doubleValue());
      assertThat(one.from[0]).isEqualTo(sorted[0]);
      assertThat(one.to[0]).isEqualTo(sorted[sorted.length - 1]);
      AdaptiveBins fifteen = AdaptiveBins.of(abc, 15);
      assertThat(Arrays.stream(fifteen.rows).sum()).isEqualTo(p.length);
    }
  }

  @ParameterizedTest(name = "weighted {0}")
  @ValueSource(booleans = {false, true})
  void emptyGivesEmptyBinsAndShapesMustMatch(boolean weighted) {
    ConfidenceHistogram h = new ConfidenceHistogram(weighted);
    AdaptiveBins bins = AdaptiveBins.of(h, 15);
    assertThat(bins.rows).containsOnly(0L);
    assertThat(bins.from).containsOnly(Double.NaN);
    assertThatThrownBy(() -> h.merge(h)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.merge(new ConfidenceHistogram(!weighted)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
