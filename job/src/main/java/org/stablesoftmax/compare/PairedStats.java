package org.stablesoftmax.compare;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.stablesoftmax.stats.BootstrapBuckets;
import org.stablesoftmax.stats.ExactSum;
import org.stablesoftmax.stats.PartitionStats;

/**
 * The mergeable state of a comparison: every id of either input falls in one {@link Kind} (counted,
 * with the smallest ids as examples), and the compared pairs add to both models' figures over
 * the same rows, to the exact sum of the paired loss differences, to McNemar's counts, and, with a
 * bootstrap, to each model's buckets and to the buckets of the differences. Each input's own
 * state (rows read, skipped, incidents: as {@code evaluate} counts them) is merged in too.
 *
 * <p>Every sum is exact and every example set keeps the smallest ids, so the merged state is the
 * same to the bit whatever the partitioning. Not thread-safe.
 */
public final class PairedStats implements Serializable {

  private static final long serialVersionUID = 1L;

  /** What became of an id, in this order of precedence. */
  public enum Kind {
    /** More than one row of the id in A or in B: none of its rows is compared. */
    DUPLICATE("duplicate_ids"),
    /** In A only (once). */
    ONLY_IN_A("only_in_a"),
    /** In B only (once). */
    ONLY_IN_B("only_in_b"),
    /** Once in each, but one of the rows (or both) is not evaluated (a skipped row). */
    NOT_EVALUATED("not_evaluated"),
    /** Once in each, both evaluated, but of different labels. */
    LABEL_MISMATCH("label_mismatch"),
    /** Once in each, both evaluated, of the same label: the pair is compared. */
    COMPARED("compared");

    /** Its name in compare.json. */
    public final String key;

    Kind(String key) {
      this.key = key;
    }
  }

  /** The examples kept per kind: the smallest ids. */
  public static final int EXAMPLES = PartitionStats.EXAMPLES;

  private final PartitionStats a;
  private final PartitionStats b;
  /** Buckets of the paired loss differences (B - A), or null without a bootstrap. */
  private final BootstrapBuckets differences;
  /** Σ (loss_B - loss_A) over the compared pairs whose losses are both finite, exactly. */
  private final ExactSum lossDifference = new ExactSum();
  private long lossPairs;
  /** McNemar's table: both right, A right only (b01), B right only (b10), both wrong. */
  private long bothRight;
  private long aOnly;
  private long bOnly;
  private long bothWrong;
  private final long[] kinds = new long[Kind.values().length];
  private final Map<Kind, TreeSet<Long>> examples = new EnumMap<>(Kind.class);
  private long duplicateRowsA;
  private long duplicateRowsB;
  /** Each input's own state, or null until its first partition's is merged in. */
  private PartitionStats inputA;
  private PartitionStats inputB;
  private long nullIdsA;
  private long nullIdsB;

  /**
   * An empty state whose models' figures have {@code bins} calibration bins, per-class sums if
   * {@code perClass}, and bootstrap buckets of {@code seed} if {@code bootstrap}.
   */
  public PairedStats(int bins, boolean perClass, boolean bootstrap, long seed) {
    PartitionStats[] models = new PartitionStats[2];
    for (int i = 0; i < 2; i++) {
      PartitionStats s = new PartitionStats(bins, false,
          bootstrap ? new BootstrapBuckets(seed, bins) : null);
      models[i] = perClass ? s.withPerClass() : s;
    }
    this.a = models[0];
    this.b = models[1];
    // the differences need no calibration bins: one, the least there is
    this.differences = bootstrap ? new BootstrapBuckets(seed, 1) : null;
    for (Kind k : Kind.values()) {
      if (k != Kind.COMPARED) {
        examples.put(k, new TreeSet<>());
      }
    }
  }

  /** Merges in a partition's own state of input {@code side} and its rows of a null id. */
  void input(byte side, PartitionStats stats, long nullIds) {
    if (side == 0) {
      inputA = inputA == null ? stats : inputA.merge(stats);
      nullIdsA += nullIds;
    } else {
      inputB = inputB == null ? stats : inputB.merge(stats);
      nullIdsB += nullIds;
    }
  }

  /** Adds the rows of one id: {@code rowsA} and {@code rowsB} of them, the first of each. */
  void id(long id, int rowsA, ScoredRow firstA, int rowsB, ScoredRow firstB) {
    Kind kind;
    if (rowsA > 1 || rowsB > 1) {
      kind = Kind.DUPLICATE;
      duplicateRowsA += rowsA;
      duplicateRowsB += rowsB;
    } else if (rowsB == 0) {
      kind = Kind.ONLY_IN_A;
    } else if (rowsA == 0) {
      kind = Kind.ONLY_IN_B;
    } else if (!firstA.evaluated || !firstB.evaluated) {
      kind = Kind.NOT_EVALUATED;
    } else if (firstA.label != firstB.label) {
      kind = Kind.LABEL_MISMATCH;
    } else {
      kind = Kind.COMPARED;
      compared(id, firstA, firstB);
    }
    kinds[kind.ordinal()]++;
    if (kind != Kind.COMPARED) {
      keep(examples.get(kind), id);
    }
  }

  private void compared(long id, ScoredRow ra, ScoredRow rb) {
    add(a, id, ra);
    add(b, id, rb);
    boolean finite = Double.isFinite(ra.loss) && Double.isFinite(rb.loss);
    if (finite) {
      // each loss added exactly: the sum of the differences is not rounded per row
      lossDifference.add(rb.loss);
      lossDifference.add(-ra.loss);
      lossPairs++;
    }
    if (differences != null) {
      differences.add(differences.bucket(id), 1.0, 1.0,
          finite ? rb.loss - ra.loss : Double.NaN, false, false, Double.NaN, Double.NaN);
    }
    if (ra.top1) {
      if (rb.top1) {
        bothRight++;
      } else {
        aOnly++;
      }
    } else if (rb.top1) {
      bOnly++;
    } else {
      bothWrong++;
    }
  }

  /** Adds a compared row to a model's figures, as {@code RowScoring} adds an evaluated row. */
  private static void add(PartitionStats s, long id, ScoredRow r) {
    s.evaluated(r.loss, r.top1, r.topK, r.entropy, r.maxProbability, r.brier);
    BootstrapBuckets buckets = s.bootstrap();
    if (buckets != null) {
      buckets.add(buckets.bucket(id), 1.0, 1.0, r.loss, r.top1, r.topK, r.brier,
          r.maxProbability);
    }
    if (s.perClass() != null) {
      s.perClass().add((int) r.label, r.argmax, 1.0, 1.0, r.loss, r.maxProbability);
    }
  }

  private static void keep(TreeSet<Long> kept, long id) {
    if (kept.size() < EXAMPLES) {
      kept.add(id);
    } else if (id < kept.last()) {
      kept.add(id);
      kept.pollLast();
    }
  }

  /** Adds {@code other} into this (its example sets and states may be shared after); this. */
  public PairedStats merge(PairedStats other) {
    a.merge(other.a);
    b.merge(other.b);
    if (differences != null) {
      differences.merge(other.differences);
    }
    lossDifference.add(other.lossDifference);
    lossPairs += other.lossPairs;
    bothRight += other.bothRight;
    aOnly += other.aOnly;
    bOnly += other.bOnly;
    bothWrong += other.bothWrong;
    for (int i = 0; i < kinds.length; i++) {
      kinds[i] += other.kinds[i];
    }
    other.examples.forEach((k, ids) -> ids.forEach(id -> keep(examples.get(k), id)));
    duplicateRowsA += other.duplicateRowsA;
    duplicateRowsB += other.duplicateRowsB;
    if (other.inputA != null) {
      input((byte) 0, other.inputA, other.nullIdsA);
    } else {
      nullIdsA += other.nullIdsA;
    }
    if (other.inputB != null) {
      input((byte) 1, other.inputB, other.nullIdsB);
    } else {
      nullIdsB += other.nullIdsB;
    }
    return this;
  }

  /** Model A's figures over the compared pairs. */
  public PartitionStats a() {
    return a;
  }

  /** Model B's figures over the compared pairs. */
  public PartitionStats b() {
    return b;
  }

  /** The buckets of the paired loss differences, or null without a bootstrap. */
  public BootstrapBuckets differences() {
    return differences;
  }

  /**
   * The mean over the compared pairs whose losses are both finite of {@code loss_B - loss_A}:
   * their exact sum, rounded once, divided by their count; NaN for none.
   */
  public double lossDifferenceMean() {
    return lossPairs == 0 ? Double.NaN : lossDifference.doubleValue() / lossPairs;
  }

  /** The exact sum of the paired loss differences, rounded once. */
  public double lossDifferenceSum() {
    return lossDifference.doubleValue();
  }

  /** The compared pairs whose losses are both finite. */
  public long lossPairs() {
    return lossPairs;
  }

  public long bothRight() {
    return bothRight;
  }

  /** b01: A right, B wrong. */
  public long aOnlyRight() {
    return aOnly;
  }

  /** b10: A wrong, B right. */
  public long bOnlyRight() {
    return bOnly;
  }

  public long bothWrong() {
    return bothWrong;
  }

  /** The ids of kind {@code kind}. */
  public long count(Kind kind) {
    return kinds[kind.ordinal()];
  }

  /** The distinct ids of either input (the rows of a non-null id, duplicates once). */
  public long ids() {
    long n = 0;
    for (long k : kinds) {
      n += k;
    }
    return n;
  }

  /** The smallest ids of kind {@code kind} (none for {@link Kind#COMPARED}), ascending. */
  public List<Long> examples(Kind kind) {
    TreeSet<Long> ids = examples.get(kind);
    return ids == null ? List.of() : new ArrayList<>(ids);
  }

  /** The rows of A (or B, for {@code side} 1) whose id is a duplicate's. */
  public long duplicateRows(int side) {
    return side == 0 ? duplicateRowsA : duplicateRowsB;
  }

  /** Input A's own state (or B's, for {@code side} 1), as evaluate counts it; null for none. */
  public PartitionStats input(int side) {
    return side == 0 ? inputA : inputB;
  }

  /** The rows of A (or B) whose id is null: never paired. */
  public long nullIds(int side) {
    return side == 0 ? nullIdsA : nullIdsB;
  }
}
