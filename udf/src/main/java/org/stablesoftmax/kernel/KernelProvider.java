package org.stablesoftmax.kernel;

import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.util.List;

/**
 * Chooses the kernel implementation once per JVM: the Vector API one when the
 * {@code jdk.incubator.vector} module is readable and the JIT can compile it, the scalar one
 * otherwise, or when {@code -Dstablesoftmax.simd=false} asks for it. A fallback is logged.
 */
final class KernelProvider {

  /** System property: {@code false} forces the scalar path. */
  static final String SIMD_PROPERTY = "stablesoftmax.simd";

  private static final System.Logger LOG = System.getLogger(KernelProvider.class.getName());

  private KernelProvider() {}

  static SoftmaxKernel get() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    static final SoftmaxKernel INSTANCE = choose();
  }

  private static SoftmaxKernel choose() {
    if (!Boolean.parseBoolean(System.getProperty(SIMD_PROPERTY, "true"))) {
      LOG.log(System.Logger.Level.INFO,
          "stablesoftmax: scalar kernel, as -D" + SIMD_PROPERTY + "=false asks");
      return new ScalarSoftmaxKernel();
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "stablesoftmax: the module jdk.incubator.vector is "
          + "not loaded, so the kernel runs its scalar path; start the JVM with "
          + "--add-modules jdk.incubator.vector for the SIMD path");
      return new ScalarSoftmaxKernel();
    }
    if (!jitCompilesFully()) {
      LOG.log(System.Logger.Level.WARNING, "stablesoftmax: the C2 compiler is off "
          + "(-Xint or -XX:TieredStopAtLevel<4), so the kernel runs its scalar path");
      return new ScalarSoftmaxKernel();
    }
    try {
      // reflective, so that no other class links against the incubator module
      SoftmaxKernel simd = (SoftmaxKernel) Class.forName(
              "org.stablesoftmax.kernel.VectorSoftmaxKernel")
          .getDeclaredConstructor()
          .newInstance();
      LOG.log(System.Logger.Level.DEBUG, "stablesoftmax: " + simd.name() + " kernel");
      return simd;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      Throwable why = e instanceof InvocationTargetException && e.getCause() != null
          ? e.getCause() : e;
      // INFO, not a warning: a CPU without 512-bit vectors is nothing the user can fix, and the
      // results are the same (summary.json's versions.kernel says which path ran)
      LOG.log(System.Logger.Level.INFO, "stablesoftmax: no SIMD kernel (" + why.getMessage()
          + "); using the scalar path, which gives the same results");
      return new ScalarSoftmaxKernel();
    }
  }

  private static boolean jitCompilesFully() {
    try {
      List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
      for (String arg : args) {
        if (arg.equals("-Xint") || arg.matches("-XX:TieredStopAtLevel=[0-3]")) {
          return false;
        }
      }
      return true;
    } catch (LinkageError | RuntimeException e) {
      // java.management absent: assume a standard JIT
      return true;
    }
  }
}
