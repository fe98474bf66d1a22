package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * The per-run sums of groups over many runs (across the 65,536-run chunks), each run's key and
 * sums as added, checked against sums kept here per group in BigDecimal.
 */
class GroupSumsTest {

  @Test
  void everyRunKeepsItsKeyAndExactSumsAcrossChunks() {
    GroupSums g = new GroupSums();
    SplittableRandom rng = new SplittableRandom(4);
    Map<String, BigDecimal[]> expected = new HashMap<>();
    Map<String, Long> rows = new HashMap<>();
    int runs = 0;
    String last = null;
    for (int i = 0; i < 300_000; i++) {
      // mostly one row a group, sometimes a few, sometimes a group seen before
      String key = rng.nextInt(10) == 0 && i > 10 ? "g" + rng.nextInt(i)
          : rng.nextInt(4) == 0 && last != null ? last : "g" + i + "-" + "x".repeat(i % 7);
      double loss = rng.nextInt(50) == 0 ? Double.POSITIVE_INFINITY : rng.nextDouble() * 5;
      double s = rng.nextDouble();
      g.add(UTF8String.fromString(key), s, 1.0, loss);
      runs += key.equals(last) ? 0 : 1;
      last = key;
      rows.merge(key, 1L, Long::sum);
      BigDecimal[] e = expected.computeIfAbsent(key, k -> new BigDecimal[] {BigDecimal.ZERO,
          BigDecimal.ZERO});
      if (Double.isFinite(loss)) {
        // each value rounded to a multiple of 2^-64, as the sums take it
        long[] one = new long[2];
        FixedPoint.add(one, 0, s * loss);
        e[0] = e[0].add(FixedPoint.exact(one, 0));
        FixedPoint.add(one = new long[2], 0, s);
        e[1] = e[1].add(FixedPoint.exact(one, 0));
      }
    }
    assertThat(g.runs()).isEqualTo(runs).isGreaterThan(2 * 65_536);
    Map<String, long[]> merged = new HashMap<>();
    for (Iterator<Map.Entry<UTF8String, long[]>> it = g.entries(); it.hasNext(); ) {
      Map.Entry<UTF8String, long[]> e = it.next();
      merged.merge(e.getKey().toString(), e.getValue(), GroupSums::merge);
    }
    assertThat(merged.keySet()).isEqualTo(expected.keySet());
    merged.forEach((key, sums) -> {
      assertThat(sums[GroupSums.ROWS]).as(key).isEqualTo(rows.get(key));
      assertThat(FixedPoint.exact(sums, GroupSums.LOSS)).as(key)
          .isEqualByComparingTo(expected.get(key)[0]);
      assertThat(FixedPoint.exact(sums, GroupSums.WEIGHT)).as(key)
          .isEqualByComparingTo(expected.get(key)[1]);
    });
  }
}
