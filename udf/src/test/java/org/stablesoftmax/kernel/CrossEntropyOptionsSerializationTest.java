package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link CrossEntropyOptions} through Java serialization, as Spark ships them to executors: an
 * equal object that computes the same bits; the default reads back as itself; a stream that
 * holds options the factory methods refuse is refused.
 */
class CrossEntropyOptionsSerializationTest {

  private static final CrossEntropyOptions FULL = CrossEntropyOptions.DEFAULT
      .labelSmoothing(0.1).classWeights(new double[] {1.0, 2.0, 0.5, 0.0}).ignoreIndex(-100);

  @Test
  void aRoundTripGivesEqualOptionsThatComputeTheSameBits() throws Exception {
    List<CrossEntropyOptions> all = List.of(FULL,
        CrossEntropyOptions.DEFAULT.labelSmoothing(0.25),
        CrossEntropyOptions.DEFAULT.classWeights(new double[] {3.0, 1.0, 1.0, 0.5}),
        CrossEntropyOptions.DEFAULT.ignoreIndex(2));
    double[][] rows = {
        {2.0, 0.5, -1.0, 4.0},
        {1000.0, 1.0, -1000.0, 3.0},
        {Double.NEGATIVE_INFINITY, 0.0, 1.0, 2.0},
        {Double.NaN, 0.0, 1.0, 2.0},
    };
    for (CrossEntropyOptions o : all) {
      CrossEntropyOptions copy = roundTrip(o);
      assertThat(copy).as("%s", o).isNotSameAs(o).isEqualTo(o).hasSameHashCodeAs(o);
      assertThat(copy.toString()).isEqualTo(o.toString());
      assertThat(copy.labelSmoothing()).isEqualTo(o.labelSmoothing());
      assertThat(copy.classWeights()).isEqualTo(o.classWeights());
      SoftmaxRow row = new SoftmaxRow();
      for (double[] x : rows) {
        // -100 only where it is ignored: elsewhere it is out of range
        int[] labels = o == FULL ? new int[] {0, 1, 2, 3, -100} : new int[] {0, 1, 2, 3};
        for (int label : labels) {
          row.analyze(x, 0, x.length, 1.5);
          assertThat(bits(row.crossEntropy(label, copy)))
              .as("%s label %d", o, label).isEqualTo(bits(row.crossEntropy(label, o)));
          assertThat(bits(row.weight(label, copy))).isEqualTo(bits(row.weight(label, o)));
          double[] g1 = new double[x.length];
          double[] g2 = new double[x.length];
          row.crossEntropyGradient(x, 0, x.length, 1.5, label, o, g1, 0);
          row.crossEntropyGradient(x, 0, x.length, 1.5, label, copy, g2, 0);
          assertThat(g2).as("gradient %s label %d", o, label).containsExactly(g1);
        }
        double[] target = {0.1, 0.2, 0.3, 0.4};
        row.analyze(x, 0, x.length, 1.5);
        assertThat(bits(row.softCrossEntropy(target, 0, copy)))
            .isEqualTo(bits(row.softCrossEntropy(target, 0, o)));
      }
    }
    // the ignore index and the weights really travelled: the copy ignores -100 and weighs
    assertThat(new SoftmaxRow().analyze(rows[0], 0, 4, 1.0).crossEntropy(-100, roundTrip(FULL)))
        .isZero();
    assertThat(new SoftmaxRow().analyze(rows[0], 0, 4, 1.0).weight(1, roundTrip(FULL)))
        .isEqualTo(2.0);
  }

  @Test
  void theDefaultReadsBackAsItself() throws Exception {
    assertThat(roundTrip(CrossEntropyOptions.DEFAULT)).isSameAs(CrossEntropyOptions.DEFAULT);
    assertThat(roundTrip(CrossEntropyOptions.DEFAULT.labelSmoothing(0.0)))
        .isSameAs(CrossEntropyOptions.DEFAULT);
  }

  @Test
  void equalityIsOfWhatComputes() {
    assertThat(CrossEntropyOptions.DEFAULT.labelSmoothing(-0.0))
        .isEqualTo(CrossEntropyOptions.DEFAULT);
    assertThat(CrossEntropyOptions.DEFAULT.ignoreIndex(3))
        .isNotEqualTo(CrossEntropyOptions.DEFAULT.ignoreIndex(4))
        .isNotEqualTo(CrossEntropyOptions.DEFAULT);
    assertThat(CrossEntropyOptions.DEFAULT.classWeights(new double[] {1.0, 0.0}))
        .isNotEqualTo(CrossEntropyOptions.DEFAULT.classWeights(new double[] {1.0, -0.0}))
        .isEqualTo(CrossEntropyOptions.DEFAULT.classWeights(new double[] {1.0, 0.0}));
    assertThat(CrossEntropyOptions.DEFAULT.labelSmoothing(0.1))
        .isNotEqualTo(CrossEntropyOptions.DEFAULT.labelSmoothing(0.2));
  }

  @Test
  void aStreamHoldingOptionsTheFactoryRefusesIsRefused() throws Exception {
    byte[] bytes = serialize(CrossEntropyOptions.DEFAULT.labelSmoothing(0.5));
    // the smoothing's eight bytes, big-endian as the stream writes doubles, made 2.0
    byte[] half = ByteBuffer.allocate(8).putDouble(0.5).array();
    byte[] two = ByteBuffer.allocate(8).putDouble(2.0).array();
    int at = indexOf(bytes, half);
    assertThat(at).isPositive();
    System.arraycopy(two, 0, bytes, at, 8);
    assertThatThrownBy(() -> deserialize(bytes))
        .isInstanceOf(InvalidObjectException.class)
        .hasMessage("label smoothing must be in [0, 1], got 2.0");
  }

  private static CrossEntropyOptions roundTrip(CrossEntropyOptions o) throws Exception {
    return (CrossEntropyOptions) deserialize(serialize(o));
  }

  private static byte[] serialize(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  private static Object deserialize(byte[] bytes) throws IOException, ClassNotFoundException {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return in.readObject();
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  private static long bits(double v) {
    return Double.doubleToRawLongBits(v);
  }
}
