package org.stablesoftmax.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Both kernel implementations, for tests that must hold on each, and what this JVM and CPU let
 * the product run, decided here from the JVM itself rather than by asking the product.
 *
 * <p>The SIMD kernel needs the {@code jdk.incubator.vector} module, the C2 compiler, and
 * preferred double vectors of {@link #SIMD_BITS} bits: one double per lane of the scalar kernel's
 * sums, so that both give the same bits. Where one of them is missing (a CPU without AVX-512, a
 * JVM started with {@code -XX:UseAVX=2}, {@code -Xint}, no module), the product runs its scalar
 * path, and {@link #SIMD} is then the kernel the product chose, named {@code scalar}: the tests
 * that compare SIMD with scalar then compare the product's fallback with a scalar kernel of their
 * own, and their messages say which one ran.
 */
final class Kernels {

  private Kernels() {}

  /** The width the SIMD kernel requires: 8 doubles, as many as the scalar kernel's lanes. */
  static final int SIMD_BITS = ScalarSoftmaxKernel.LANES * Double.SIZE;

  /** Whether the vector module is in this JVM's boot layer. */
  static final boolean VECTOR_MODULE =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /** What this JVM reports as the preferred size of double vectors; 0 without the module. */
  static final int PREFERRED_BITS = VECTOR_MODULE ? Preferred.bits() : 0;

  /** Whether this JVM compiles with C2: the JIT is on and tiered compilation reaches level 4. */
  static final boolean C2 = c2();

  /** Whether the product runs its SIMD path in this JVM. */
  static final boolean SIMD_RUNS = VECTOR_MODULE && C2 && PREFERRED_BITS == SIMD_BITS;

  /** The name {@code StableSoftmax.implementation()} must give in this JVM. */
  static final String EXPECTED = SIMD_RUNS ? "simd-" + SIMD_BITS : "scalar";

  static final SoftmaxKernel SCALAR = new ScalarSoftmaxKernel();

  /**
   * The SIMD kernel where the product runs it; elsewhere the kernel the product chose instead,
   * the scalar one ({@link #why()} says why).
   */
  static final SoftmaxKernel SIMD = SIMD_RUNS ? new VectorSoftmaxKernel() : KernelProvider.get();

  static List<SoftmaxKernel> all() {
    return List.of(SCALAR, SIMD);
  }

  /** Why this JVM runs the path it does, for assertion messages. */
  static String why() {
    if (!VECTOR_MODULE) {
      return "scalar: no jdk.incubator.vector module";
    }
    if (!C2) {
      return "scalar: C2 is off";
    }
    return SIMD_RUNS ? "simd: preferred double vectors of " + SIMD_BITS + " bits"
        : "scalar: preferred double vectors of " + PREFERRED_BITS + " bits, the SIMD kernel needs "
            + SIMD_BITS;
  }

  /**
   * The options of this JVM that change which vectors the CPU offers ({@code -XX:UseAVX=2},
   * {@code -XX:UseSSE=..}, {@code -XX:MaxVectorSize=..}), for child JVMs that must see the same
   * CPU.
   */
  static List<String> cpuOptions() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.matches("-XX:(UseAVX|UseSSE|MaxVectorSize|UseAVX3_.*)=.*"))
        .toList();
  }

  private static boolean c2() {
    HotSpotDiagnosticMXBean vm =
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    boolean jit = Boolean.parseBoolean(vm.getVMOption("UseCompiler").getValue());
    boolean tiered = Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue());
    int stop = Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue());
    return jit && (!tiered || stop >= 4);
  }

  /** Apart, so that nothing links against the vector module when it is absent. */
  private static final class Preferred {
    static int bits() {
      return jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.vectorBitSize();
    }
  }
}
