package org.stablesoftmax.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The kernel's speed: one row of {@code size} logits per operation, for softmax, log-softmax
 * and cross-entropy, on the SIMD and the scalar path, double and float input; beside two
 * baselines over the same data: a bare Vector API EXP pass (the exponentials the kernel must
 * compute, in double, stored) and a naive three-pass softmax with {@link Math#exp}. Run by
 * {@code scripts/bench.sh kernel}, which divides by the size (ns per element); not by the tests.
 *
 * <p>The {@code ...InPlace} and {@code ...Copied} cases ({@code scripts/bench.sh buffer}) read the
 * row from a direct little-endian buffer, as the Arrow stage holds it: in place through the
 * kernel's ByteBuffer forms, or copied into a heap array first (a bulk copy, as the stage's
 * {@code Platform.copyMemory} does) for the array forms; softmax's output goes into a direct
 * buffer either way (copied out of a heap array for the array form).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class KernelBenchmark {

  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  @Param({"10", "128", "1000", "32768", "131072"})
  public int size;

  @Param({"double", "float"})
  public String dtype;

  @Param({"simd", "scalar"})
  public String path;

  private double[] x;
  private float[] xf;
  private double[] out;
  private float[] outF;
  private double[] widened;
  private SoftmaxRow row;
  private RowResult result;
  private RowResult.Logits inPlace;
  private int label;
  private BufferElement type;
  private ByteBuffer in;
  private ByteBuffer outBuffer;
  private FloatBuffer inFloats;
  private DoubleBuffer inDoubles;
  private FloatBuffer outFloats;
  private DoubleBuffer outDoubles;

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rng = new SplittableRandom(size);
    x = new double[size];
    xf = new float[size];
    for (int i = 0; i < size; i++) {
      // logits of a trained classifier: spread over a few units, one class well ahead
      x[i] = 3.0 * (rng.nextDouble() + rng.nextDouble() + rng.nextDouble() - 1.5);
      xf[i] = (float) x[i];
    }
    out = new double[size];
    outF = new float[size];
    widened = new double[size];
    row = new SoftmaxRow("simd".equals(path) ? Kernels.SIMD : Kernels.SCALAR);
    result = new RowResult(row);
    inPlace = (r, t) -> r.analyze(in, 0, size, type, t);
    label = size / 3;
    type = "float".equals(dtype) ? BufferElement.FLOAT32 : BufferElement.FLOAT64;
    in = ByteBuffer.allocateDirect(size * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    outBuffer = ByteBuffer.allocateDirect(size * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    inFloats = in.asFloatBuffer();
    inDoubles = in.asDoubleBuffer();
    outFloats = outBuffer.asFloatBuffer();
    outDoubles = outBuffer.asDoubleBuffer();
    if (type == BufferElement.FLOAT32) {
      inFloats.put(0, xf);
    } else {
      inDoubles.put(0, x);
    }
  }

  @Benchmark
  public Object softmax() {
    if ("float".equals(dtype)) {
      row.softmax(xf, 0, size, 1.0, outF, 0);
      return outF;
    }
    row.softmax(x, 0, size, 1.0, out, 0);
    return out;
  }

  @Benchmark
  public Object logSoftmax() {
    if ("float".equals(dtype)) {
      row.logSoftmax(xf, 0, size, 1.0, outF, 0);
      return outF;
    }
    row.logSoftmax(x, 0, size, 1.0, out, 0);
    return out;
  }

  @Benchmark
  public double crossEntropy() {
    if ("float".equals(dtype)) {
      return row.analyze(xf, 0, size, 1.0).crossEntropy(label);
    }
    return row.analyze(x, 0, size, 1.0).crossEntropy(label);
  }

  /** Cross-entropy of the row read in place from the direct buffer. */
  @Benchmark
  public double crossEntropyInPlace() {
    return row.analyze(in, 0, size, type, 1.0).crossEntropy(label);
  }

  /**
   * All of a row's values and incidents, read in place from the direct buffer, as the Arrow stage
   * computes each row ({@link RowResult#compute}: loss, label rank, argmax, entropy, maximum
   * probability, logsumexp, naive float32 incidents).
   */
  @Benchmark
  public double rowResultInPlace() {
    return result.compute(inPlace, false, false, RowResult.LABEL_PRESENT, label, 1.0,
        NaiveDtype.FLOAT32).loss();
  }

  /** Cross-entropy of the row copied from the direct buffer into a heap array first. */
  @Benchmark
  public double crossEntropyCopied() {
    if (type == BufferElement.FLOAT32) {
      inFloats.get(0, xf, 0, size);
      return row.analyze(xf, 0, size, 1.0).crossEntropy(label);
    }
    inDoubles.get(0, x, 0, size);
    return row.analyze(x, 0, size, 1.0).crossEntropy(label);
  }

  /** Softmax from the direct buffer into a direct buffer, in place. */
  @Benchmark
  public Object softmaxInPlace() {
    row.softmax(in, 0, size, type, 1.0, outBuffer, 0);
    return outBuffer;
  }

  /** Softmax: copied into a heap array, the array form, copied out into the direct buffer. */
  @Benchmark
  public Object softmaxCopied() {
    if (type == BufferElement.FLOAT32) {
      inFloats.get(0, xf, 0, size);
      row.softmax(xf, 0, size, 1.0, outF, 0);
      outFloats.put(0, outF, 0, size);
    } else {
      inDoubles.get(0, x, 0, size);
      row.softmax(x, 0, size, 1.0, out, 0);
      outDoubles.put(0, out, 0, size);
    }
    return outBuffer;
  }

  /** Baseline: exp of every logit in double with the Vector API, stored; float input widened. */
  @Benchmark
  public double[] bareExp() {
    double[] src = x;
    if ("float".equals(dtype)) {
      Kernels.SIMD.widen(xf, 0, size, widened, 0);
      src = widened;
    }
    int bound = D.loopBound(size);
    int i = 0;
    for (; i < bound; i += D.length()) {
      DoubleVector.fromArray(D, src, i).lanewise(VectorOperators.EXP).intoArray(out, i);
    }
    for (; i < size; i++) {
      out[i] = Math.exp(src[i]);
    }
    return out;
  }

  /** Baseline: the naive three passes, max, sum of Math.exp, divide, in the input's type. */
  @Benchmark
  public Object naiveSoftmax() {
    if ("float".equals(dtype)) {
      float m = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < size; i++) {
        m = Math.max(m, xf[i]);
      }
      float s = 0f;
      for (int i = 0; i < size; i++) {
        outF[i] = (float) Math.exp(xf[i] - m);
        s += outF[i];
      }
      for (int i = 0; i < size; i++) {
        outF[i] /= s;
      }
      return outF;
    }
    double m = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < size; i++) {
      m = Math.max(m, x[i]);
    }
    double s = 0.0;
    for (int i = 0; i < size; i++) {
      out[i] = Math.exp(x[i] - m);
      s += out[i];
    }
    for (int i = 0; i < size; i++) {
      out[i] /= s;
    }
    return out;
  }
}
