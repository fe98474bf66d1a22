package org.stablesoftmax.compare;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.serializer.KryoRegistrator;
import org.apache.spark.serializer.KryoSerializer;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.RowScoring;
import org.stablesoftmax.stats.PartitionStats;
import scala.Tuple2;

/**
 * Pairs the rows of two scored inputs by id, in one shuffle: each partition's rows go out as
 * {@code (id, ScoredRow)} (and its own state under the key null), are combined by id into the
 * first row of each input and their counts, and each reducer folds its ids into one {@link
 * PairedStats}; the reducers' states are merged in a tree on the executors.
 */
public final class Pairing {

  private Pairing() {}

  /** The sinks that keep each partition's rows for the pairing. */
  public static RowScoring.SinkFactory sinks() {
    return ScoredRows::new;
  }

  /** What a comparison's state is made of, shipped to the tasks. */
  public record Spec(int bins, boolean perClass, boolean bootstrap, long seed)
      implements Serializable {
    PairedStats empty() {
      return new PairedStats(bins, perClass, bootstrap, seed);
    }
  }

  /** A partition's own state of one input, and its rows of a null id. */
  record InputPart(byte side, PartitionStats stats, long nullIds) implements Serializable {}

  /** The rows of one id: their count in each input and the first of each. */
  static final class IdRows implements Serializable {
    private static final long serialVersionUID = 1L;
    int rowsA;
    int rowsB;
    ScoredRow a;
    ScoredRow b;

    IdRows add(ScoredRow r) {
      if (r.side == 0) {
        if (rowsA++ == 0) {
          a = r;
        }
      } else if (rowsB++ == 0) {
        b = r;
      }
      return this;
    }

    IdRows add(IdRows o) {
      if (rowsA == 0) {
        a = o.a;
      }
      if (rowsB == 0) {
        b = o.b;
      }
      rowsA += o.rowsA;
      rowsB += o.rowsB;
      return this;
    }
  }

  /**
   * The comparison of the partitions of A's scorings ({@code a}, made with {@link #sinks()})
   * and of B's ({@code b}).
   */
  public static PairedStats pair(List<JavaRDD<Engine.Scored>> a, List<JavaRDD<Engine.Scored>> b,
      Spec spec) {
    List<JavaPairRDD<Object, Object>> keyed = new ArrayList<>();
    int partsA = 0;
    int partsB = 0;
    for (JavaRDD<Engine.Scored> r : a) {
      keyed.add(keyed(r, (byte) 0));
      partsA += r.getNumPartitions();
    }
    for (JavaRDD<Engine.Scored> r : b) {
      keyed.add(keyed(r, (byte) 1));
      partsB += r.getNumPartitions();
    }
    if (partsA + partsB == 0) {
      return spec.empty();
    }
    JavaPairRDD<Object, Object> all = keyed.get(0);
    for (int i = 1; i < keyed.size(); i++) {
      all = all.union(keyed.get(i));
    }
    Function<Object, Object> create = v -> v instanceof ScoredRow r ? new IdRows().add(r)
        : new ArrayList<>(List.of((InputPart) v));
    Function2<Object, Object, Object> add = (c, v) -> {
      if (c instanceof IdRows rows) {
        return rows.add((ScoredRow) v);
      }
      @SuppressWarnings("unchecked")
      List<InputPart> parts = (List<InputPart>) c;
      parts.add((InputPart) v);
      return parts;
    };
    Function2<Object, Object, Object> merge = (c, d) -> {
      if (c instanceof IdRows rows) {
        return rows.add((IdRows) d);
      }
      @SuppressWarnings("unchecked")
      List<InputPart> parts = (List<InputPart>) c;
      @SuppressWarnings("unchecked")
      List<InputPart> more = (List<InputPart>) d;
      parts.addAll(more);
      return parts;
    };
    JavaRDD<PairedStats> reduced = all
        // each row is one record: nothing to combine before the shuffle; Kryo for its records
        .combineByKey(create, add, merge, new HashPartitioner(Math.max(partsA, partsB)), false,
            new KryoSerializer(all.context().getConf().clone()
                .set("spark.kryo.registrator", PairingKryo.class.getName())
                .set("spark.kryo.registrationRequired", "false")))
        .mapPartitions((FlatMapFunction<Iterator<Tuple2<Object, Object>>, PairedStats>) it -> {
          PairedStats stats = spec.empty();
          while (it.hasNext()) {
            Tuple2<Object, Object> t = it.next();
            if (t._1() == null) {
              @SuppressWarnings("unchecked")
              List<InputPart> parts = (List<InputPart>) t._2();
              for (InputPart p : parts) {
                stats.input(p.side(), p.stats(), p.nullIds());
              }
            } else {
              IdRows rows = (IdRows) t._2();
              stats.id((Long) t._1(), rows.rowsA, rows.a, rows.rowsB, rows.b);
            }
          }
          return Collections.singletonList(stats).iterator();
        });
    return reduced.treeReduce(
        (Function2<PairedStats, PairedStats, PairedStats>) PairedStats::merge);
  }

  /** A scoring's partitions as {@code (null, its state)} and {@code (id, row)} of {@code side}. */
  private static JavaPairRDD<Object, Object> keyed(JavaRDD<Engine.Scored> parts, byte side) {
    return parts.flatMapToPair((PairFlatMapFunction<Engine.Scored, Object, Object>) scored -> {
      ScoredRows rows = (ScoredRows) scored.rows();
      Iterator<Tuple2<Object, Object>> pairs = rows.pairs(side);
      InputPart own = new InputPart(side, scored.stats(), rows.nullIds());
      return new Iterator<>() {
        boolean sent;

        @Override
        public boolean hasNext() {
          return !sent || pairs.hasNext();
        }

        @Override
        public Tuple2<Object, Object> next() {
          if (!sent) {
            sent = true;
            return new Tuple2<>(null, own);
          }
          return pairs.next();
        }
      };
    });
  }

  /**
   * Kryo for the pairing's shuffle: millions of rows (a {@code Long} and a {@link ScoredRow} of
   * primitives each), and one state per partition, by its own Java serialization.
   */
  public static final class PairingKryo implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
      kryo.register(ScoredRow.class);
      kryo.register(IdRows.class);
      kryo.register(InputPart.class, new JavaSerializer());
      kryo.register(PartitionStats.class, new JavaSerializer());
    }
  }
}
