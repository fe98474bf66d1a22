package org.stablesoftmax.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stablesoftmax.compare.PairedStats.Kind;

/**
 * {@link PairedStats}: each id's kind by the documented precedence, and the merge of any split of
 * the ids in any order is the whole's state, to the bit (counts, examples, exact sums, both
 * models' states and the bootstrap's buckets).
 */
class PairedStatsTest {

  /** One id's rows: how many of A and B, and the first of each. */
  private record Id(long id, int rowsA, ScoredRow a, int rowsB, ScoredRow b) {}

  private static ScoredRow row(SplittableRandom rng, byte side, long label) {
    boolean evaluated = rng.nextInt(20) != 0;
    double loss = rng.nextInt(30) == 0 ? Double.NaN : rng.nextDouble() * 5;
    boolean top1 = rng.nextBoolean();
    return new ScoredRow(side, evaluated, label, loss, top1 ? (int) label : 0, top1,
        top1 || rng.nextBoolean(), rng.nextDouble(), rng.nextDouble(), rng.nextDouble());
  }

  private static List<Id> ids(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Id> ids = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      long id = rng.nextLong(-1_000_000, 1_000_000);
      long label = rng.nextInt(4);
      int na = rng.nextInt(25) == 0 ? 2 : rng.nextInt(15) == 0 ? 0 : 1;
      int nb = rng.nextInt(25) == 0 ? 2 : na == 0 || rng.nextInt(15) != 0 ? 1 : 0;
      long lb = rng.nextInt(30) == 0 ? (label + 1) % 4 : label;
      ids.add(new Id(id, na, na == 0 ? null : row(rng, (byte) 0, label), nb,
          nb == 0 ? null : row(rng, (byte) 1, lb)));
    }
    return ids;
  }

  private static PairedStats fold(List<Id> ids) {
    PairedStats s = new PairedStats(15, true, true, 3);
    for (Id i : ids) {
      s.id(i.id(), i.rowsA(), i.a(), i.rowsB(), i.b());
    }
    return s;
  }

  private static void assertSame(PairedStats got, PairedStats want) {
    for (Kind k : Kind.values()) {
      assertThat(got.count(k)).as("%s", k).isEqualTo(want.count(k));
      assertThat(got.examples(k)).as("examples of %s", k).isEqualTo(want.examples(k));
    }
    assertThat(got.lossDifferenceSum()).isEqualTo(want.lossDifferenceSum());
    assertThat(got.lossPairs()).isEqualTo(want.lossPairs());
    assertThat(new long[] {got.bothRight(), got.aOnlyRight(), got.bOnlyRight(), got.bothWrong()})
        .containsExactly(want.bothRight(), want.aOnlyRight(), want.bOnlyRight(),
            want.bothWrong());
    assertThat(got.duplicateRows(0)).isEqualTo(want.duplicateRows(0));
    assertThat(got.duplicateRows(1)).isEqualTo(want.duplicateRows(1));
    assertThat(got.a()).isEqualTo(want.a());
    assertThat(got.b()).isEqualTo(want.b());
    assertThat(got.differences()).isEqualTo(want.differences());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void anySplitInAnyOrderMergesToTheWhole(long seed) {
    List<Id> ids = ids(seed);
    PairedStats whole = fold(ids);
    SplittableRandom rng = new SplittableRandom(seed + 100);
    List<Id> shuffled = new ArrayList<>(ids);
    Collections.shuffle(shuffled, new java.util.Random(seed));
    List<PairedStats> parts = new ArrayList<>();
    int at = 0;
    while (at < shuffled.size()) {
      int n = Math.min(shuffled.size() - at, 1 + rng.nextInt(700));
      parts.add(fold(shuffled.subList(at, at + n)));
      at += n;
    }
    parts.add(new PairedStats(15, true, true, 3)); // an empty part
    Collections.shuffle(parts, new java.util.Random(seed + 1));
    PairedStats merged = new PairedStats(15, true, true, 3);
    for (PairedStats p : parts) {
      merged.merge(p);
    }
    assertSame(merged, whole);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {4})
  void kindsFollowTheirPrecedence(long seed) {
    List<Id> ids = ids(seed);
    PairedStats s = fold(ids);
    long[] expected = new long[Kind.values().length];
    long lossPairs = 0;
    double sum = 0;
    for (Id i : ids) {
      Kind k = i.rowsA() > 1 || i.rowsB() > 1 ? Kind.DUPLICATE
          : i.rowsB() == 0 ? Kind.ONLY_IN_A : i.rowsA() == 0 ? Kind.ONLY_IN_B
          : !i.a().evaluated || !i.b().evaluated ? Kind.NOT_EVALUATED
          : i.a().label != i.b().label ? Kind.LABEL_MISMATCH : Kind.COMPARED;
      expected[k.ordinal()]++;
      if (k == Kind.COMPARED && Double.isFinite(i.a().loss) && Double.isFinite(i.b().loss)) {
        lossPairs++;
        sum += i.b().loss - i.a().loss;
      }
    }
    for (Kind k : Kind.values()) {
      assertThat(s.count(k)).as("%s", k).isEqualTo(expected[k.ordinal()]).isPositive();
    }
    assertThat(s.ids()).isEqualTo(ids.size());
    assertThat(s.lossPairs()).isEqualTo(lossPairs);
    assertThat(s.lossDifferenceSum()).isCloseTo(sum, within(1e-9));
    assertThat(s.a().evaluatedRows()).isEqualTo(s.count(Kind.COMPARED));
  }
}
