package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.stablesoftmax.stats.LossHistogram.Outside;

/**
 * The loss histogram: its documented edges, every row in exactly one place (checked against
 * counts made here by scanning edges computed another way), and exact merges.
 */
class LossHistogramTest {

  /** Asserts {@code h} holds exactly the reference's counts of {@code losses}. */
  static void assertCounts(LossHistogram h, List<Double> losses) {
    LossHistogramReference.Counts c = LossHistogramReference.count(losses);
    assertThat(h.counts()).as("rows per bin").containsExactly(c.bins());
    for (Outside kind : Outside.values()) {
      assertThat(h.count(kind)).as("%s", kind).isEqualTo(c.outside()[kind.ordinal()]);
    }
  }

  @Test
  void edgesAreTheDoublesNearestQuarterDecadesFromOneMillionthToTenThousand() {
    double[] reference = LossHistogramReference.edges();
    for (int k = 0; k <= LossHistogram.BINS; k++) {
      assertThat(LossHistogram.edge(k)).as("edge %d", k).isEqualTo(reference[k]);
    }
    double[] decades = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3, 1e4};
    for (int d = 0; d < decades.length; d++) {
      assertThat(LossHistogram.edge(4 * d)).as("decade edge %d", d).isEqualTo(decades[d]);
    }
    assertThat(LossHistogram.edge(1)).isEqualTo(1.7782794100389228e-6);
  }

  @Test
  void awkwardLossesFallInTheReferencePlace() {
    double[] edges = LossHistogramReference.edges();
    List<Double> losses = new ArrayList<>(List.of(0.0, -0.0, Double.MIN_VALUE, 1e-300,
        Math.nextDown(1e-6), 1e-6, Math.nextUp(1e-6), 1.0, Math.nextDown(1.0), 1e4,
        Math.nextDown(1e4), Double.MAX_VALUE, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, Double.NaN, -1.5, -Double.MIN_VALUE));
    for (double e : edges) {
      losses.add(e);
      losses.add(Math.nextDown(e));
      losses.add(Math.nextUp(e));
    }
    LossHistogram h = new LossHistogram();
    losses.forEach(h::add);
    assertCounts(h, losses);
    long total = 0;
    for (long n : h.counts()) {
      total += n;
    }
    for (Outside kind : Outside.values()) {
      total += h.count(kind);
    }
    assertThat(total).as("every row counted once").isEqualTo(losses.size());
    assertThat(h.count(Outside.ZERO)).as("0 and -0").isEqualTo(2);
    // 1e-6 and its next double up, twice each, and the double below the second edge
    assertThat(h.counts()[0]).as("the first bin, closed below").isEqualTo(5);
  }

  @Test
  void randomLossesMergedInAnySplitGiveTheWholeCounts() throws Exception {
    SplittableRandom rng = new SplittableRandom(3);
    List<Double> losses = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      losses.add(rng.nextInt(100) == 0 ? Double.POSITIVE_INFINITY
          : Math.pow(10, rng.nextDouble(-8, 6)));
    }
    LossHistogram whole = new LossHistogram();
    losses.forEach(whole::add);
    assertCounts(whole, losses);
    for (int parts : new int[] {2, 7}) {
      LossHistogram[] split = new LossHistogram[parts];
      for (int p = 0; p < parts; p++) {
        split[p] = new LossHistogram();
      }
      for (int i = 0; i < losses.size(); i++) {
        split[rng.nextInt(parts)].add(losses.get(i));
      }
      LossHistogram merged = new LossHistogram();
      for (int p = parts - 1; p >= 0; p--) {
        merged.merge((LossHistogram) JavaSerialization.roundTrip(split[p]));
      }
      assertThat(merged).as("%d parts", parts).isEqualTo(whole);
    }
    assertThat(whole.merge(new LossHistogram())).as("empty: the identity").isEqualTo(whole);
    assertThatThrownBy(() -> whole.merge(whole)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void partitionStatsCountsTheLossOfEveryEvaluatedRow() throws IOException {
    PartitionStats s = new PartitionStats();
    for (double loss : new double[] {0.5, 0.5, Double.NaN, 2e5}) {
      s.row(RowId.of(1), 0);
      s.evaluated(loss, true, true, 1.0, 0.5, 0.25);
    }
    s.evaluatedUnlabeled(1.0, 1.0, 0.5);
    LossHistogram h = s.lossHistogram();
    assertCounts(h, List.of(0.5, 0.5, Double.NaN, 2e5));
  }
}
