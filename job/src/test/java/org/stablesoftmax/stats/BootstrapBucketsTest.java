package org.stablesoftmax.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.junit.jupiter.api.Test;

/**
 * The bootstrap's bucket sums: each value rounded once to a multiple of 2^-64 and then added
 * exactly (checked against BigDecimal), so any split of the rows merges to the same state; and
 * the buckets are Spark's XXH64 of (seed, id).
 */
class BootstrapBucketsTest {

  private static final BigDecimal TWO_64 = new BigDecimal(BigInteger.ONE.shiftLeft(64));
  private static final int BINS = 4;

  /** A row's values as {@link BootstrapBuckets#add} takes them. */
  private record Row(int bucket, double s, double w, double loss, boolean top1, boolean topK,
      double brier, double p) {}

  private static List<Row> rows(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // few buckets, so that each sums many values; values of every scale, some negative
      double loss = switch (i % 7) {
        case 0 -> Double.POSITIVE_INFINITY;
        case 1 -> rng.nextDouble() * 1e-25;
        case 2 -> rng.nextDouble() * 3e6;
        default -> -Math.log(rng.nextDouble());
      };
      double w = i % 5 == 0 ? -0.75 : 1 + rng.nextInt(3);
      rows.add(new Row(rng.nextInt(3), rng.nextDouble() * 2, w, loss, rng.nextBoolean(),
          rng.nextBoolean(), i % 11 == 0 ? Double.NaN : rng.nextDouble() * 2,
          i % 13 == 0 ? 1.0 : rng.nextDouble()));
    }
    return rows;
  }

  private static void add(BootstrapBuckets b, Row r) {
    b.add(r.bucket(), r.s(), r.w(), r.loss(), r.top1(), r.topK(), r.brier(), r.p());
  }

  /** v rounded to the nearest multiple of 2^-64, ties to even (as Math.rint). */
  private static BigDecimal rounded(double v) {
    BigDecimal units = new BigDecimal(v).multiply(TWO_64).setScale(0, RoundingMode.HALF_EVEN);
    return units.divide(TWO_64);
  }

  @Test
  void sumsAreExactSumsOfTheRoundedValues() {
    List<Row> rows = rows(3000, 1);
    BootstrapBuckets b = new BootstrapBuckets(7, BINS);
    rows.forEach(r -> add(b, r));
    BigDecimal[] loss = new BigDecimal[3];
    BigDecimal[] lossWeight = new BigDecimal[3];
    BigDecimal[] binConfidence = new BigDecimal[3];
    for (int j = 0; j < 3; j++) {
      loss[j] = BigDecimal.ZERO;
      lossWeight[j] = BigDecimal.ZERO;
      binConfidence[j] = BigDecimal.ZERO;
    }
    int last = BootstrapBuckets.BIN + 3 * (BINS - 1) + 2;
    for (Row r : rows) {
      if (Double.isFinite(r.loss())) {
        loss[r.bucket()] = loss[r.bucket()].add(rounded(r.s() * r.loss()));
        lossWeight[r.bucket()] = lossWeight[r.bucket()].add(rounded(r.s() * r.w()));
      }
      if (PartitionStats.bin(r.p(), BINS) == BINS - 1) {
        binConfidence[r.bucket()] = binConfidence[r.bucket()].add(rounded(r.s() * r.p()));
      }
    }
    for (int j = 0; j < 3; j++) {
      assertThat(b.exact(j, BootstrapBuckets.LOSS)).isEqualByComparingTo(loss[j]);
      assertThat(b.exact(j, BootstrapBuckets.LOSS_WEIGHT)).isEqualByComparingTo(lossWeight[j]);
      assertThat(b.exact(j, last)).isEqualByComparingTo(binConfidence[j]);
      double v = b.value(j, BootstrapBuckets.LOSS);
      assertThat(new BigDecimal(v).subtract(loss[j]).abs())
          .isLessThanOrEqualTo(new BigDecimal(Math.ulp(v)));
    }
    assertThat(b.overflowed()).isFalse();
  }

  @Test
  void anySplitOfTheRowsMergesToTheSameState() {
    List<Row> rows = rows(2000, 2);
    BootstrapBuckets whole = new BootstrapBuckets(7, BINS);
    rows.forEach(r -> add(whole, r));
    SplittableRandom rng = new SplittableRandom(3);
    BootstrapBuckets[] parts = new BootstrapBuckets[5];
    for (int k = 0; k < parts.length; k++) {
      parts[k] = new BootstrapBuckets(7, BINS);
    }
    for (int i = rows.size() - 1; i >= 0; i--) {
      add(parts[rng.nextInt(parts.length)], rows.get(i));
    }
    BootstrapBuckets merged = new BootstrapBuckets(7, BINS);
    for (int k = parts.length - 1; k >= 0; k--) {
      merged.merge(parts[k]);
    }
    assertThat(merged).isEqualTo(whole);
  }

  @Test
  void bucketsAreXxh64OfSeedAndId() {
    BootstrapBuckets b = new BootstrapBuckets(42, BINS);
    int[] count = new int[BootstrapBuckets.BUCKETS];
    for (long id = 0; id < 200_000; id++) {
      int j = b.bucket(id);
      assertThat(j).isEqualTo(Math.floorMod(XXH64.hashLong(id, 42), 10_000));
      count[j]++;
    }
    // 20 rows per bucket on average: no bucket is empty or holds 3 times its share
    for (int c : count) {
      assertThat(c).isBetween(1, 60);
    }
    BootstrapBuckets other = new BootstrapBuckets(43, BINS);
    long moved = java.util.stream.LongStream.range(0, 1000)
        .filter(id -> other.bucket(id) != b.bucket(id)).count();
    assertThat(moved).as("another seed, other buckets").isGreaterThan(990);
  }

  @Test
  void aValueBeyondTheFixedPointRangeMarksTheState() {
    BootstrapBuckets b = new BootstrapBuckets(1, BINS);
    b.add(0, 1, 1, 0x1p60, true, true, 0.5, 0.5);
    assertThat(b.overflowed()).isTrue();
    BootstrapBuckets c = new BootstrapBuckets(1, BINS);
    c.merge(b);
    assertThat(c.overflowed()).isTrue();
  }
}
