package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ByteBuffer forms of {@link SoftmaxRow} (a row read in place from a little-endian buffer,
 * as in an Arrow data buffer, and softmax / log-softmax written into one) give, bit for bit, what
 * the array forms give for the same values: float32 and float64, direct and heap buffers, at
 * element offsets, over awkward sizes, non-finite rows and temperatures, on both paths; and
 * nothing outside the row's range is written.
 */
class ByteBufferFormsTest {

  /** Written around every output row: a byte no element written by the kernel is made of. */
  private static final byte GUARD = (byte) 0xA5;

  static IntStream awkwardSizes() {
    return IntStream.of(0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1023, 1024, 1025, 4099);
  }

  /** Rows of {@code n} values: ordinary, dominated, masked, NaN, +inf, all -inf. */
  static List<double[]> rows(int n) {
    List<double[]> rows = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(17L * n + 1);
    rows.add(SimdScalarTest.gaussian(rng, n, 3.0));
    if (n == 0) {
      return rows;
    }
    double[] dominant = SimdScalarTest.gaussian(rng, n, 1.0);
    dominant[n - 1] = 45.0; // in the scalar tail when there is one
    rows.add(dominant);
    double[] masked = SimdScalarTest.gaussian(rng, n, 10.0);
    for (int i = 0; i < n; i += 3) {
      masked[i] = Double.NEGATIVE_INFINITY;
    }
    masked[n / 2] = 1.0;
    rows.add(masked);
    double[] nan = SimdScalarTest.gaussian(rng, n, 2.0);
    nan[n - 1] = Double.NaN;
    rows.add(nan);
    double[] posInf = SimdScalarTest.gaussian(rng, n, 2.0);
    posInf[n / 2] = Double.POSITIVE_INFINITY;
    rows.add(posInf);
    double[] allMasked = new double[n];
    java.util.Arrays.fill(allMasked, Double.NEGATIVE_INFINITY);
    rows.add(allMasked);
    return rows;
  }

  @ParameterizedTest(name = "C={0}")
  @MethodSource("awkwardSizes")
  void bufferFormsGiveTheBitsOfTheArrayForms(int n) {
    int checked = 0;
    for (SoftmaxKernel kernel : Kernels.all()) {
      SoftmaxRow viaArray = new SoftmaxRow(kernel);
      SoftmaxRow viaBuffer = new SoftmaxRow(kernel);
      for (double[] d : rows(n)) {
        float[] f = KernelAccuracyTest.toFloat(d);
        for (BufferElement type : BufferElement.values()) {
          for (boolean direct : new boolean[] {true, false}) {
            for (int element : new int[] {0, 5}) {
              for (double t : new double[] {1.0, 0.7, 2.5}) {
                String what = String.format("%s %s %s C=%d at %d T=%s", kernel.name(), type,
                    direct ? "direct" : "heap", n, element, t);
                ByteBuffer in = filled(type, direct, element, d, f);
                byte[] inBefore = bytes(in);
                assertRowsEqual(what, type, d, f, t, in, element, viaArray, viaBuffer);
                assertOutputsEqual(what, type, d, f, t, in, element, viaArray, viaBuffer,
                    direct);
                assertThat(bytes(in)).as("%s: input untouched", what).isEqualTo(inBefore);
                assertThat(in.position()).as("%s: position", what).isEqualTo(3);
                checked++;
              }
            }
          }
        }
      }
    }
    assertThat(checked).isEqualTo(2 * rows(n).size() * 2 * 2 * 2 * 3);
  }

  /** The getters after {@code analyze}, from the buffer and from the array. */
  private static void assertRowsEqual(String what, BufferElement type, double[] d, float[] f,
      double t, ByteBuffer in, int element, SoftmaxRow viaArray, SoftmaxRow viaBuffer) {
    int n = d.length;
    if (type == BufferElement.FLOAT32) {
      viaArray.analyze(f, 0, n, t);
    } else {
      viaArray.analyze(d, 0, n, t);
    }
    viaBuffer.analyze(in, element, n, type, t);
    assertThat(viaBuffer.length()).as("%s: length", what).isEqualTo(n);
    assertThat(bits(viaBuffer.logSumExp())).as("%s: lse", what)
        .isEqualTo(bits(viaArray.logSumExp()));
    assertThat(bits(viaBuffer.entropy())).as("%s: entropy", what)
        .isEqualTo(bits(viaArray.entropy()));
    assertThat(bits(viaBuffer.maxProbability())).as("%s: max p", what)
        .isEqualTo(bits(viaArray.maxProbability()));
    assertThat(viaBuffer.argmax()).as("%s: argmax", what).isEqualTo(viaArray.argmax());
    assertThat(viaBuffer.isFinite()).as("%s: finite", what).isEqualTo(viaArray.isFinite());
    int label = n / 3;
    assertThat(viaBuffer.incidents(label, NaiveDtype.FLOAT32))
        .as("%s: incidents", what).isEqualTo(viaArray.incidents(label, NaiveDtype.FLOAT32));
    if (n > 0) {
      assertThat(bits(viaBuffer.crossEntropy(label))).as("%s: ce", what)
          .isEqualTo(bits(viaArray.crossEntropy(label)));
      assertThat(viaBuffer.rank(label)).as("%s: rank", what).isEqualTo(viaArray.rank(label));
    } else {
      assertThat(viaBuffer.crossEntropy(0)).as("%s: ce of an empty row", what).isNaN();
    }
  }

  /** softmax and log-softmax into a buffer, against the array forms, and the guard bytes. */
  private static void assertOutputsEqual(String what, BufferElement type, double[] d,
      float[] f, double t, ByteBuffer in, int element, SoftmaxRow viaArray,
      SoftmaxRow viaBuffer, boolean direct) {
    int n = d.length;
    int outElement = 2;
    for (boolean log : new boolean[] {false, true}) {
      String name = what + (log ? " log_softmax" : " softmax");
      ByteBuffer out = guarded(direct, (outElement + n + 3) * type.bytes());
      long[] expected = new long[n];
      if (type == BufferElement.FLOAT32) {
        float[] o = new float[n];
        if (log) {
          viaArray.logSoftmax(f, 0, n, t, o, 0);
        } else {
          viaArray.softmax(f, 0, n, t, o, 0);
        }
        for (int i = 0; i < n; i++) {
          expected[i] = Float.floatToRawIntBits(o[i]);
        }
      } else {
        double[] o = new double[n];
        if (log) {
          viaArray.logSoftmax(d, 0, n, t, o, 0);
        } else {
          viaArray.softmax(d, 0, n, t, o, 0);
        }
        for (int i = 0; i < n; i++) {
          expected[i] = Double.doubleToRawLongBits(o[i]);
        }
      }
      if (log) {
        viaBuffer.logSoftmax(in, element, n, type, t, out, outElement);
      } else {
        viaBuffer.softmax(in, element, n, type, t, out, outElement);
      }
      assertThat(rawBits(out, outElement, n, type)).as("%s: the row's bits", name)
          .containsExactly(expected);
      assertGuarded(name, out, outElement * type.bytes(), (outElement + n) * type.bytes());
      assertThat(bits(viaBuffer.logSumExp())).as("%s: lse after", name)
          .isEqualTo(bits(viaArray.logSumExp()));
    }
  }

  @Test
  void bothPathsGiveTheSameBitsFromBuffers() {
    for (Rows.Case c : Rows.generated(4242, 200)) {
      double[] d = c.x();
      int n = d.length;
      for (BufferElement type : BufferElement.values()) {
        ByteBuffer in = filled(type, true, 1, d, KernelAccuracyTest.toFloat(d));
        ByteBuffer simdOut = guarded(true, n * type.bytes());
        ByteBuffer scalarOut = guarded(true, n * type.bytes());
        SoftmaxRow simd = new SoftmaxRow(Kernels.SIMD).softmax(in, 1, n, type, c.temperature(),
            simdOut, 0);
        SoftmaxRow scalar = new SoftmaxRow(Kernels.SCALAR).softmax(in, 1, n, type,
            c.temperature(), scalarOut, 0);
        assertThat(bytes(simdOut)).as("%s %s softmax", type, c).isEqualTo(bytes(scalarOut));
        assertThat(bits(simd.logSumExp())).as("%s %s lse", type, c)
            .isEqualTo(bits(scalar.logSumExp()));
        simd.logSoftmax(in, 1, n, type, c.temperature(), simdOut, 0);
        scalar.logSoftmax(in, 1, n, type, c.temperature(), scalarOut, 0);
        assertThat(bytes(simdOut)).as("%s %s log_softmax", type, c)
            .isEqualTo(bytes(scalarOut));
      }
    }
  }

  @Test
  void theOutputMayBeTheInputRange() {
    double[] d = SimdScalarTest.gaussian(new SplittableRandom(5), 37, 4.0);
    float[] f = KernelAccuracyTest.toFloat(d);
    for (SoftmaxKernel kernel : Kernels.all()) {
      float[] expected = new float[d.length];
      new SoftmaxRow(kernel).softmax(f, 0, f.length, 1.3, expected, 0);
      ByteBuffer buf = filled(BufferElement.FLOAT32, true, 4, d, f);
      new SoftmaxRow(kernel).softmax(buf, 4, f.length, BufferElement.FLOAT32, 1.3, buf, 4);
      long[] want = new long[f.length];
      for (int i = 0; i < f.length; i++) {
        want[i] = Float.floatToRawIntBits(expected[i]);
      }
      assertThat(rawBits(buf, 4, f.length, BufferElement.FLOAT32)).as(kernel.name())
          .containsExactly(want);
    }
  }

  @Test
  void aReadOnlyInputIsRead() {
    double[] d = {1.0, 2.0, 3.0, -1.0};
    ByteBuffer in = filled(BufferElement.FLOAT64, false, 0, d, null).asReadOnlyBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
    for (SoftmaxKernel kernel : Kernels.all()) {
      assertThat(new SoftmaxRow(kernel).analyze(in, 0, 4, BufferElement.FLOAT64, 1.0)
              .logSumExp())
          .as(kernel.name()).isEqualTo(StableSoftmax.logSumExp(d));
    }
  }

  @Test
  void argumentErrorsNameTheArgument() {
    SoftmaxRow row = new SoftmaxRow();
    ByteBuffer in = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    assertThatThrownBy(() -> row.analyze(null, 0, 1, BufferElement.FLOAT32, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("logits must not be null");
    assertThatThrownBy(() -> row.analyze(in, 0, 1, null, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("type must not be null");
    assertThatThrownBy(() -> row.analyze(ByteBuffer.allocate(16), 0, 1, BufferElement.FLOAT32,
            1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("logits must be little-endian");
    assertThatThrownBy(() -> row.analyze(in, 2, 3, BufferElement.FLOAT64, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("element offset 2 and length 3 do not fit in logits of 2 FLOAT64 elements "
            + "(limit 16 bytes)");
    assertThatThrownBy(() -> row.analyze(in, -1, 1, BufferElement.FLOAT32, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset -1");
    // the limit bounds the row, not the capacity
    in.limit(8);
    assertThatThrownBy(() -> row.analyze(in, 0, 3, BufferElement.FLOAT32, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit 8 bytes");
    in.limit(16);
    assertThatThrownBy(() -> row.analyze(in, 0, 4, BufferElement.FLOAT32, 0.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature");
    assertThatThrownBy(() -> row.softmax(in, 0, 4, BufferElement.FLOAT32, 1.0, null, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("out must not be null");
    assertThatThrownBy(() -> row.softmax(in, 0, 4, BufferElement.FLOAT32, 1.0,
            out.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("out must be writable, but it is read-only");
    assertThatThrownBy(() -> row.logSoftmax(in, 0, 4, BufferElement.FLOAT32, 1.0, out, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("element offset 1 and length 4 do not fit in out of 4 FLOAT32 elements "
            + "(limit 16 bytes)");
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A buffer holding the row at element {@code element}, little-endian, between neighbours that
   * would dominate if read (1e30), with its position moved off 0 (elements count from index 0).
   */
  private static ByteBuffer filled(BufferElement type, boolean direct, int element, double[] d,
      float[] f) {
    int size = (element + d.length + 2) * type.bytes();
    ByteBuffer b = (direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < element + d.length + 2; i++) {
      boolean inRow = i >= element && i < element + d.length;
      if (type == BufferElement.FLOAT32) {
        b.putFloat(i * 4, inRow ? f[i - element] : 1e30f);
      } else {
        b.putDouble(i * 8, inRow ? d[i - element] : 1e30);
      }
    }
    return b.position(Math.min(3, size));
  }

  private static ByteBuffer guarded(boolean direct, int size) {
    ByteBuffer b = (direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < size; i++) {
      b.put(i, GUARD);
    }
    return b;
  }

  private static void assertGuarded(String what, ByteBuffer b, int from, int to) {
    for (int i = 0; i < b.capacity(); i++) {
      if (i < from || i >= to) {
        assertThat(b.get(i)).as("%s: byte %d outside [%d, %d)", what, i, from, to)
            .isEqualTo(GUARD);
      }
    }
  }

  private static long[] rawBits(ByteBuffer b, int element, int n, BufferElement type) {
    long[] r = new long[n];
    for (int i = 0; i < n; i++) {
      // read little-endian whatever the buffer's order, as the kernel is specified to write
      r[i] = type == BufferElement.FLOAT32
          ? Integer.reverseBytes(b.order(ByteOrder.BIG_ENDIAN).getInt((element + i) * 4))
          : Long.reverseBytes(b.order(ByteOrder.BIG_ENDIAN).getLong((element + i) * 8));
    }
    b.order(ByteOrder.LITTLE_ENDIAN);
    return r;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] r = new byte[b.capacity()];
    for (int i = 0; i < r.length; i++) {
      r[i] = b.get(i);
    }
    return r;
  }

  private static long bits(double v) {
    return Double.doubleToRawLongBits(v);
  }
}
