package org.stablesoftmax.evaluate;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.serializer.KryoRegistrator;
import org.stablesoftmax.stats.PartitionStats;

/**
 * Kryo for the shuffle by group: its records are groups' keys ({@code UTF8String}, which Kryo
 * writes as its bytes) and sums ({@code long[]}), millions of them, which Kryo writes several
 * times faster and smaller than Java serialization; and one state per partition, written by
 * its own Java serialization.
 */
public final class ShuffleKryo implements KryoRegistrator {

  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(PartitionStats.class, new JavaSerializer());
  }
}
