package org.stablesoftmax.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The partial sums of a partition-independent bootstrap: every evaluated row falls, by a hash of
 * the seed and its id, into one of {@link #BUCKETS} buckets, and each bucket keeps the sums the
 * bootstrapped metrics are ratios of. A replicate then resamples buckets ({@link
 * BootstrapIntervals}), so it depends only on the seed and the rows' ids, never on how the rows
 * were split into partitions.
 *
 * <p>The sums are {@link FixedPoint} integers of 128 bits, in units of 2^-64: each row's value
 * is rounded once to a multiple of 2^-64, then the integers add exactly, in any order. So the
 * merge of the partitions' states is the same to the bit whatever the partitioning; a value of
 * 2^52 or more (or a sum beyond 2^63) marks the state as overflowed, and its intervals are
 * undefined.
 *
 * <p>Per bucket the sums are, with {@code s} the row's sample weight (1 without) and {@code w}
 * its loss weight: Σ s; Σ s ℓ and Σ s w over finite losses; Σ s over top-1 and over top-k hits;
 * Σ s b and Σ s over non-NaN Brier scores b; and per calibration bin Σ s, Σ s over top-1 hits and
 * Σ s p of the top probability p. With 15 bins that is 52 sums, 8.3 MB for the 10,000 buckets.
 *
 * <p>Not thread-safe.
 */
public final class BootstrapBuckets implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The number of buckets. */
  public static final int BUCKETS = 10_000;

  /** The sums' indexes in a bucket. */
  static final int WEIGHT = 0;
  static final int LOSS = 1;
  static final int LOSS_WEIGHT = 2;
  static final int CORRECT = 3;
  static final int TOP_K = 4;
  static final int BRIER = 5;
  static final int BRIER_WEIGHT = 6;
  /** Then per bin b: {@code BIN + 3b} its weight, {@code + 1} its top-1 hits, {@code + 2} Σ s p. */
  static final int BIN = 7;


  private final long seed;
  private final int bins;
  private final int fields;
  /** Per bucket and field, the high (signed, 2^0) and low (unsigned, 2^-64) words. */
  private final long[] sums;
  private boolean overflow;

  /** Empty buckets for a bootstrap of seed {@code seed} with {@code bins} calibration bins. */
  public BootstrapBuckets(long seed, int bins) {
    this.seed = seed;
    this.bins = bins;
    this.fields = BIN + 3 * bins;
    this.sums = new long[2 * BUCKETS * fields];
  }

  /** The bucket of the row whose id column holds {@code id}. */
  public int bucket(long id) {
    return Math.floorMod(XXH64.hashLong(id, seed), BUCKETS);
  }

  /** The hash of a file's name, for {@link #bucket(long, long)} of its rows. */
  public long fileHash(String file) {
    return XXH64.hashUTF8String(UTF8String.fromString(file), seed);
  }

  /** The bucket of a group (of {@code --group-col}): its rows share it. */
  public int bucket(UTF8String group) {
    return Math.floorMod(XXH64.hashUTF8String(group, seed), BUCKETS);
  }

  /** The bucket of row {@code index} of the file of hash {@code fileHash}. */
  public static int bucket(long fileHash, long index) {
    return Math.floorMod(XXH64.hashLong(index, fileHash), BUCKETS);
  }

  /**
   * Adds an evaluated row to bucket {@code bucket}, with the same rules as {@link
   * PartitionStats#evaluated}: a non-finite loss and a NaN Brier score are left out of their
   * sums, a top probability outside [0, 1] out of the bins.
   */
  public void add(int bucket, double s, double w, double loss, boolean top1, boolean topK,
      double brier, double maxProbability) {
    int at = bucket * fields;
    add(at + WEIGHT, s);
    if (Double.isFinite(loss)) {
      add(at + LOSS, s * loss);
      add(at + LOSS_WEIGHT, s * w);
    }
    if (top1) {
      add(at + CORRECT, s);
    }
    if (topK) {
      add(at + TOP_K, s);
    }
    if (!Double.isNaN(brier)) {
      add(at + BRIER, s * brier);
      add(at + BRIER_WEIGHT, s);
    }
    if (maxProbability >= 0.0 && maxProbability <= 1.0) {
      int b = at + BIN + 3 * PartitionStats.bin(maxProbability, bins);
      add(b, s);
      if (top1) {
        add(b + 1, s);
      }
      add(b + 2, s * maxProbability);
    }
  }

  /** Adds {@code v}, rounded to a multiple of 2^-64, to the sum at {@code field}. */
  private void add(int field, double v) {
    overflow |= !FixedPoint.add(sums, 2 * field, v);
  }

  /** Adds {@code other}'s sums into these; {@code other} is unchanged. */
  public void merge(BootstrapBuckets other) {
    if (other.seed != seed || other.bins != bins) {
      throw new IllegalArgumentException("cannot merge the buckets of seed " + other.seed
          + " and " + other.bins + " bins into those of seed " + seed + " and " + bins);
    }
    for (int at = 0; at < sums.length; at += 2) {
      overflow |= !FixedPoint.addWords(sums, at, other.sums[at], other.sums[at + 1]);
    }
    overflow |= other.overflow;
  }

  public long seed() {
    return seed;
  }

  public int bins() {
    return bins;
  }

  /** The number of sums per bucket. */
  int fields() {
    return fields;
  }

  /** Whether a value or a sum was out of the fixed-point range: the intervals are undefined. */
  public boolean overflowed() {
    return overflow;
  }

  /**
   * The sum at {@code field} of {@code bucket} as a double (within an ulp; the same on every
   * JVM, as the integers are).
   */
  double value(int bucket, int field) {
    return FixedPoint.value(sums, 2 * (bucket * fields + field));
  }

  /** The exact sum at {@code field} of {@code bucket} (for tests). */
  BigDecimal exact(int bucket, int field) {
    return FixedPoint.exact(sums, 2 * (bucket * fields + field));
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BootstrapBuckets)) {
      return false;
    }
    BootstrapBuckets t = (BootstrapBuckets) o;
    return seed == t.seed && bins == t.bins && overflow == t.overflow
        && Arrays.equals(sums, t.sums);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sums);
  }
}
