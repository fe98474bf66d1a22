package org.stablesoftmax.stats;

import java.io.Serializable;

/**
 * The means over groups of {@code --group-col}, from the groups' merged sums: the number of
 * groups with a defined mean loss, the groups without one (no finite loss of weight), and the
 * exact sums of the groups' mean losses and of their perplexities exp(mean), so that the means
 * over groups do not depend on the partitioning or on the order of the merges.
 */
public final class GroupTotals implements Serializable {

  private static final long serialVersionUID = 1L;

  private long groups;
  private long undefined;
  private final ExactSum meanLoss = new ExactSum();
  private final ExactSum perplexity = new ExactSum();

  /** Adds a group of merged sums (see {@link GroupSums}). */
  public void add(long[] sums) {
    double mean = GroupSums.mean(sums);
    if (Double.isNaN(mean)) {
      undefined++;
      return;
    }
    groups++;
    meanLoss.add(mean);
    // StrictMath: the same bits on every JVM
    perplexity.add(StrictMath.exp(mean));
  }

  public GroupTotals merge(GroupTotals other) {
    groups += other.groups;
    undefined += other.undefined;
    meanLoss.add(other.meanLoss);
    perplexity.add(other.perplexity);
    return this;
  }

  /** Groups with a mean loss. */
  public long groups() {
    return groups;
  }

  /** Groups with no finite loss of weight: left out of the means. */
  public long undefined() {
    return undefined;
  }

  /** The mean over groups of each group's mean loss; NaN for no group. */
  public double meanLoss() {
    return groups == 0 ? Double.NaN : meanLoss.doubleValue() / groups;
  }

  /** The mean over groups of each group's perplexity exp(mean loss); NaN for no group. */
  public double meanPerplexity() {
    return groups == 0 ? Double.NaN : perplexity.doubleValue() / groups;
  }
}
