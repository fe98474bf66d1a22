package org.stablesoftmax.stats;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Arrays;

/**
 * A fine histogram of the top probability, for the adaptive (equal-mass) calibration error of
 * Nixon et al. 2019, "Measuring Calibration in Deep Learning": deterministic, exact, and one
 * pass. A confidence p in [0, 1] falls into the key of its double's exponent and top {@value
 * #MANTISSA_BITS} mantissa bits (so each key spans a relative width of 2^-9 of p, and p = 1.0 is
 * a key alone); each key keeps its row count and the {@link FixedPoint} sums of the rows' weights
 * s, of s over top-1 hits and of s p. Keys are kept in blocks of one binade, made when a row
 * first falls in it: 512 keys of 56 bytes, 28 KB a binade.
 *
 * <p>{@link #ece(int)} then cuts the keys, in increasing order of p, into R bins of equal mass:
 * a key whose rows' weight spans the fractions [f, g) of the total goes to bin floor(R (f + g) /
 * 2), the bin of its middle (for keys of one row each, floor(R (rank + 1/2) / n)). Rows of one
 * key, and so rows of equal confidence, are never split (e.g. the float32-saturated rows of
 * confidence exactly 1.0 stay together, in the last bin unless they are more than half of it):
 * a bin's mass differs from 1 / R of the total by at most that of a key. The error is Σ_b |Σ s [hit] − Σ s p| / Σ s over the bins, computed
 * exactly from the integers and rounded once.
 *
 * <p>Not thread-safe.
 */
public final class AdaptiveHistogram implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The mantissa bits of a key. */
  static final int MANTISSA_BITS = 9;
  private static final int SHIFT = 52 - MANTISSA_BITS;
  private static final int PER_BINADE = 1 << MANTISSA_BITS;
  /** Exponent fields up to that of 1.0 (1023). */
  private static final int BINADES = 1024;
  /** Per key: the count, then the sums of s, of s over hits, and of s p (two words each). */
  private static final int STRIDE = 7;
  private static final int WEIGHT = 1;
  private static final int CORRECT = 3;
  private static final int CONFIDENCE = 5;

  private final long[][] blocks = new long[BINADES][];
  private boolean overflow;

  /** Adds a row of weight {@code s}, confidence {@code p} in [0, 1], and whether it is a hit. */
  public void add(double s, double p, boolean top1) {
    long key = Double.doubleToRawLongBits(p) >>> SHIFT;
    long[] block = block((int) (key >>> MANTISSA_BITS));
    int at = (int) (key & (PER_BINADE - 1)) * STRIDE;
    block[at]++;
    boolean fits = FixedPoint.add(block, at + WEIGHT, s);
    if (top1) {
      fits &= FixedPoint.add(block, at + CORRECT, s);
    }
    fits &= FixedPoint.add(block, at + CONFIDENCE, s * p);
    overflow |= !fits;
  }

  private long[] block(int binade) {
    long[] block = blocks[binade];
    if (block == null) {
      block = new long[PER_BINADE * STRIDE];
      blocks[binade] = block;
    }
    return block;
  }

  /** Adds {@code other}'s keys into these; {@code other} is unchanged. */
  public void merge(AdaptiveHistogram other) {
    for (int e = 0; e < BINADES; e++) {
      long[] theirs = other.blocks[e];
      if (theirs == null) {
        continue;
      }
      long[] mine = block(e);
      for (int at = 0; at < mine.length; at += STRIDE) {
        mine[at] += theirs[at];
        for (int f = WEIGHT; f < STRIDE; f += 2) {
          overflow |= !FixedPoint.addWords(mine, at + f, theirs[at + f], theirs[at + f + 1]);
        }
      }
    }
    overflow |= other.overflow;
  }

  /**
   * The adaptive calibration error over {@code bins} equal-mass bins; NaN if there is no weight
   * (or a sum overflowed).
   */
  public double ece(int bins) {
    BigInteger total = BigInteger.ZERO;
    for (long[] block : blocks) {
      if (block != null) {
        for (int at = 0; at < block.length; at += STRIDE) {
          total = total.add(FixedPoint.units(block, at + WEIGHT));
        }
      }
    }
    if (overflow || total.signum() <= 0) {
      return Double.NaN;
    }
    BigInteger[] gap = new BigInteger[bins];
    Arrays.fill(gap, BigInteger.ZERO);
    BigInteger r = BigInteger.valueOf(bins);
    BigInteger twice = total.shiftLeft(1);
    BigInteger before = BigInteger.ZERO;
    for (long[] block : blocks) {
      if (block == null) {
        continue;
      }
      for (int at = 0; at < block.length; at += STRIDE) {
        if (block[at] == 0) {
          continue;
        }
        BigInteger w = FixedPoint.units(block, at + WEIGHT);
        // the bin of the key's middle: floor(R (2 before + w) / (2 total))
        int b = Math.min(bins - 1,
            r.multiply(before.shiftLeft(1).add(w)).divide(twice).intValueExact());
        gap[b] = gap[b].add(FixedPoint.units(block, at + CORRECT))
            .subtract(FixedPoint.units(block, at + CONFIDENCE));
        before = before.add(w);
      }
    }
    BigInteger sum = BigInteger.ZERO;
    for (BigInteger g : gap) {
      sum = sum.add(g.abs());
    }
    return new BigDecimal(sum).divide(new BigDecimal(total), MathContext.DECIMAL128)
        .doubleValue();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdaptiveHistogram h && overflow == h.overflow
        && Arrays.deepEquals(blocks, h.blocks);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(blocks);
  }
}
