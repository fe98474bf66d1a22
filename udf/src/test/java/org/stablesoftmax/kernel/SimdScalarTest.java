package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SIMD and scalar paths over awkward sizes (vector body, scalar tail, both, neither), and
 * how the path is chosen.
 */
class SimdScalarTest {

  static IntStream awkwardSizes() {
    return IntStream.of(1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1023, 1024, 1025, 131072);
  }

  @ParameterizedTest(name = "C={0}")
  @MethodSource("awkwardSizes")
  void bothPathsMeetTheBoundsAtEverySize(int size) {
    SplittableRandom rng = new SplittableRandom(size);
    List<double[]> rows = new ArrayList<>();
    rows.add(gaussian(rng, size, 3.0));
    double[] dominant = gaussian(rng, size, 1.0);
    dominant[size - 1] = 45.0; // the last element: in the tail when there is one
    rows.add(dominant);
    double[] masked = gaussian(rng, size, 10.0);
    for (int i = 0; i < size; i += 3) {
      masked[i] = Double.NEGATIVE_INFINITY;
    }
    masked[size / 2] = 1.0;
    rows.add(masked);
    for (double[] x : rows) {
      for (double t : new double[] {1.0, 0.7}) {
        int label = size / 2;
        Reference ref = new Reference(x, t);
        for (SoftmaxKernel kernel : Kernels.all()) {
          Bounds.assertDoubleRow(kernel, "C=" + size + " T=" + t, x, label, t, ref);
        }
      }
    }
  }

  @ParameterizedTest(name = "C={0}")
  @MethodSource("awkwardSizes")
  void bothPathsAgreeOnTheArgmaxAndNonFiniteRowsAtEveryPosition(int size) {
    SplittableRandom rng = new SplittableRandom(31L * size);
    double[] x = gaussian(rng, size, 2.0);
    // positions in the first vector, the last full vector and the tail
    int[] positions = {0, size / 2, size - 1};
    for (int pos : positions) {
      for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
        double[] y = x.clone();
        y[pos] = bad;
        for (SoftmaxKernel kernel : Kernels.all()) {
          SoftmaxRow row = new SoftmaxRow(kernel).analyze(y, 0, size, 1.0);
          // NaN with a NaN, +inf with a +inf: the bad value itself
          assertThat(row.logSumExp()).as("%s: lse with %s at %d", kernel.name(), bad, pos)
              .isEqualTo(Double.valueOf(bad));
          assertThat(row.argmax()).as("%s: argmax with %s at %d", kernel.name(), bad, pos)
              .isEqualTo(pos);
        }
      }
      double[] y = x.clone();
      y[pos] = 1e6; // a clear maximum
      for (SoftmaxKernel kernel : Kernels.all()) {
        assertThat(new SoftmaxRow(kernel).analyze(y, 0, size, 1.0).argmax())
            .as("%s: argmax at %d", kernel.name(), pos).isEqualTo(pos);
      }
    }
  }

  @ParameterizedTest(name = "C={0}")
  @MethodSource("awkwardSizes")
  void floatWideningAndNarrowingAreExact(int size) {
    SplittableRandom rng = new SplittableRandom(7L * size);
    float[] f = new float[size];
    for (int i = 0; i < size; i++) {
      f[i] = (float) (rng.nextDouble(-1, 1) * Math.pow(10, rng.nextDouble(-40, 38)));
    }
    double[] widened = new double[size];
    Kernels.SIMD.widen(f, 0, size, widened, 0);
    float[] narrowed = new float[size];
    Kernels.SIMD.narrow(widened, 0, size, narrowed, 0);
    for (int i = 0; i < size; i++) {
      assertThat(widened[i]).isEqualTo((double) f[i]);
      assertThat(narrowed[i]).isEqualTo(f[i]);
    }
  }

  @Test
  void bothPathsGiveTheSameBits() {
    List<Rows.Case> rows = new ArrayList<>(Rows.generated(97531, 600));
    rows.addAll(Rows.crafted());
    SoftmaxRow simd = new SoftmaxRow(Kernels.SIMD);
    SoftmaxRow scalar = new SoftmaxRow(Kernels.SCALAR);
    for (Rows.Case c : rows) {
      double[] x = c.x();
      int n = x.length;
      double t = c.temperature();
      double[] a = new double[n];
      double[] b = new double[n];
      simd.softmax(x, 0, n, t, a, 0);
      scalar.softmax(x, 0, n, t, b, 0);
      assertThat(a).as("softmax %s", c).containsExactly(b);
      assertThat(bits(simd.logSumExp())).as("lse %s", c).isEqualTo(bits(scalar.logSumExp()));
      assertThat(bits(simd.crossEntropy(c.label()))).as("ce %s", c)
          .isEqualTo(bits(scalar.crossEntropy(c.label())));
      assertThat(bits(simd.entropy())).as("entropy %s", c).isEqualTo(bits(scalar.entropy()));
      simd.logSoftmax(x, 0, n, t, a, 0);
      scalar.logSoftmax(x, 0, n, t, b, 0);
      assertThat(a).as("log_softmax %s", c).containsExactly(b);
    }
  }

  private static long bits(double v) {
    return Double.doubleToLongBits(v);
  }

  @Test
  void theTestJvmRunsThePathItsCpuAllows() {
    // surefire passes --add-modules jdk.incubator.vector, as the scripts do; with AVX-512 the
    // SIMD path runs, without it (or as a child JVM with -XX:UseAVX=2 sees it) the scalar one
    assertThat(StableSoftmax.implementation()).as(Kernels.why()).isEqualTo(Kernels.EXPECTED);
    assertThat(Kernels.SIMD.name()).as(Kernels.why()).isEqualTo(Kernels.EXPECTED);
    if (Kernels.SIMD_RUNS) {
      assertThat(VectorSoftmaxKernel.lanes()).isEqualTo(ScalarSoftmaxKernel.LANES);
    } else if (Kernels.VECTOR_MODULE) {
      // the SIMD kernel itself refuses vectors of another width (C2 being off is the
      // provider's business: then it is only not chosen)
      if (Kernels.PREFERRED_BITS != Kernels.SIMD_BITS) {
        assertThatThrownBy(VectorSoftmaxKernel::new).as(Kernels.why())
            .isInstanceOf(UnsupportedOperationException.class)
            .hasMessageContaining("hold " + Kernels.PREFERRED_BITS / Double.SIZE + " doubles");
      } else {
        assertThat(new VectorSoftmaxKernel().name()).isEqualTo("simd-" + Kernels.SIMD_BITS);
      }
    }
  }

  @Test
  void aSystemPropertyForcesTheScalarPath() throws Exception {
    Result r = runJava("--add-modules", "jdk.incubator.vector", "-Dstablesoftmax.simd=false");
    assertThat(r.stdout).isEqualTo("scalar");
    assertThat(r.stderr).contains("-Dstablesoftmax.simd=false");
  }

  @Test
  void withoutTheVectorModuleTheScalarPathRunsAndSaysWhy() throws Exception {
    Result r = runJava();
    assertThat(r.stdout).isEqualTo("scalar");
    assertThat(r.stderr).contains("jdk.incubator.vector").contains("scalar path");
  }

  @Test
  void withTheVectorModuleTheSimdPathRunsWhereTheCpuHasWideEnoughVectors() throws Exception {
    Result r = runJava("--add-modules", "jdk.incubator.vector");
    // the child has C2 and this JVM's CPU options
    boolean simd = Kernels.PREFERRED_BITS == Kernels.SIMD_BITS;
    assertThat(r.stdout).as(Kernels.why()).isEqualTo(simd ? "simd-" + Kernels.SIMD_BITS : "scalar");
    if (!simd) {
      assertThat(r.stderr).contains("no SIMD kernel").contains("scalar path");
    }
  }

  private record Result(String stdout, String stderr) {}

  /** Runs {@link PrintImplementation} in a fresh JVM with these options. */
  private static Result runJava(String... jvmOptions) throws IOException, InterruptedException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.addAll(Kernels.cpuOptions());
    cmd.addAll(List.of(jvmOptions));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(PrintImplementation.class.getName());
    Path err = Files.createTempFile("stablesoftmax", ".err");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    String stderr = Files.readString(err);
    Files.delete(err);
    return new Result(out, stderr);
  }

  static double[] gaussian(SplittableRandom rng, int n, double sigma) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = sigma * (rng.nextDouble() + rng.nextDouble() + rng.nextDouble() - 1.5) * 2.0;
    }
    return x;
  }
}
