package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stablesoftmax.kernel.IncidentKind;

/** Merging partitions' states: the same result whatever the split and the order. */
class PartitionStatsTest {

  /** Random row updates, each applied to a state. */
  private static List<Consumer<PartitionStats>> updates(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Consumer<PartitionStats>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RowId id = rng.nextInt(4) == 0 ? RowId.inFile("part-" + rng.nextInt(3), i) : RowId.of(i);
      int incidents = rng.nextInt(3) == 0 ? rng.nextInt(1 << IncidentKind.values().length) : 0;
      double loss = rng.nextInt(50) == 0 ? Double.NaN : rng.nextDouble() * Math.pow(10,
          rng.nextInt(-5, 5));
      boolean skip = rng.nextInt(20) == 0;
      String reason = rng.nextBoolean() ? "null_logits" : "label_out_of_range";
      boolean top1 = rng.nextBoolean();
      boolean topK = top1 || rng.nextBoolean();
      double entropy = rng.nextDouble() * 5;
      double maxP = rng.nextDouble();
      double brier = rng.nextInt(50) == 0 ? Double.NaN : 2 * rng.nextDouble();
      out.add(s -> {
        s.row(id, incidents);
        if (skip) {
          s.skip(reason);
        } else {
          s.evaluated(loss, top1, topK, entropy, maxP, brier);
        }
      });
    }
    return out;
  }

  private static PartitionStats apply(List<Consumer<PartitionStats>> updates) {
    PartitionStats s = new PartitionStats();
    updates.forEach(u -> u.accept(s));
    return s;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 17})
  void mergingAnySplitInAnyOrderGivesTheSameState(int parts) {
    List<Consumer<PartitionStats>> updates = updates(parts, 5000);
    PartitionStats whole = apply(updates);
    List<Consumer<PartitionStats>> shuffled = new ArrayList<>(updates);
    Collections.shuffle(shuffled, new Random(parts));
    List<PartitionStats> states = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      states.add(apply(shuffled.subList(p * shuffled.size() / parts,
          (p + 1) * shuffled.size() / parts)));
    }
    Collections.reverse(states);
    PartitionStats merged = new PartitionStats();
    states.forEach(merged::merge);
    assertThat(merged).isEqualTo(whole);
    assertThat(Double.doubleToLongBits(merged.lossMean()))
        .isEqualTo(Double.doubleToLongBits(whole.lossMean()));
    assertThat(merged.rows()).isEqualTo(5000);
    assertThat(merged.evaluatedRows() + merged.skippedRows()).isEqualTo(5000);
  }

  @Test
  void keepsTheTenSmallestExamplesPerKind() {
    PartitionStats a = new PartitionStats();
    PartitionStats b = new PartitionStats();
    for (int i = 100; i > 0; i--) {
      (i % 2 == 0 ? a : b).row(RowId.of(i), IncidentKind.NAIVE_OVERFLOW.bit());
    }
    a.merge(b);
    assertThat(a.examples(IncidentKind.NAIVE_OVERFLOW)).extracting(RowId::number)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(a.incidentCount(IncidentKind.NAIVE_OVERFLOW)).isEqualTo(100);
    assertThat(a.naiveFailureRows()).isEqualTo(100);
    assertThat(a.examples(IncidentKind.SATURATED)).isEmpty();
  }

  @Test
  void anEmptyStateIsTheIdentity() {
    PartitionStats s = apply(updates(5, 300));
    PartitionStats copy = apply(updates(5, 300));
    s.merge(new PartitionStats());
    assertThat(s).isEqualTo(copy);
    assertThat(new PartitionStats().merge(copy)).isEqualTo(copy);
    assertThat(new PartitionStats().lossMean()).isNaN();
    assertThatThrownBy(() -> s.merge(s)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    PartitionStats s = apply(updates(9, 400));
    assertThat(JavaSerialization.roundTrip(s)).isEqualTo(s);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 7, 10, 15, 49, 100, 1000})
  void aConfidenceFallsInTheBinWhoseEdgesAsDoublesHoldIt(int bins) {
    assertThat(PartitionStats.bin(0.0, bins)).as("confidence 0").isZero();
    assertThat(PartitionStats.bin(Double.MIN_VALUE, bins)).isZero();
    assertThat(PartitionStats.bin(1.0, bins)).as("confidence 1.0, saturated").isEqualTo(bins - 1);
    assertThat(PartitionStats.bin(Math.nextDown(1.0), bins)).isEqualTo(bins - 1);
    for (int b = 1; b < bins; b++) {
      double edge = PartitionStats.edge(b, bins);
      assertThat(PartitionStats.bin(edge, bins)).as("edge %d/%d", b, bins).isEqualTo(b);
      assertThat(PartitionStats.bin(Math.nextDown(edge), bins)).as("below edge %d/%d", b, bins)
          .isEqualTo(b - 1);
    }
  }

  @Test
  void statesWithOtherBinsDoNotMerge() {
    assertThatThrownBy(() -> new PartitionStats(10).merge(new PartitionStats(15)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bins");
  }
}
