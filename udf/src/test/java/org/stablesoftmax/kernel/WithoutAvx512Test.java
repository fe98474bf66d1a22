package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The tests that depend on the CPU's vectors, run again in a child JVM started with {@code
 * -XX:UseAVX=2}: a CPU without AVX-512, whatever this machine has. There they must pass by
 * asserting the scalar fallback.
 */
class WithoutAvx512Test {

  /**
   * The tests whose expectations follow the CPU, and tests that compare the two kernels: all of
   * SimdScalarTest but the bounds at every size (a minute of big-math that checks each kernel on
   * its own, and here both are the scalar one, which this JVM checks already).
   */
  private static final List<String> SELECTED = List.of(
      SimdScalarTest.class.getName() + "#theTestJvmRunsThePathItsCpuAllows()",
      SimdScalarTest.class.getName() + "#aSystemPropertyForcesTheScalarPath()",
      SimdScalarTest.class.getName() + "#withoutTheVectorModuleTheScalarPathRunsAndSaysWhy()",
      SimdScalarTest.class.getName()
          + "#withTheVectorModuleTheSimdPathRunsWhereTheCpuHasWideEnoughVectors()",
      SimdScalarTest.class.getName() + "#bothPathsGiveTheSameBits()",
      SimdScalarTest.class.getName() + "#floatWideningAndNarrowingAreExact(int)",
      SimdScalarTest.class.getName()
          + "#bothPathsAgreeOnTheArgmaxAndNonFiniteRowsAtEveryPosition(int)",
      DeterminismTest.class.getName(), ExpTest.class.getName(),
      NonFiniteSemanticsTest.class.getName(), BatchAndFlatTest.class.getName());

  @Test
  void theCpuDependentTestsPassOnTheScalarPathWithAvx2() throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-XX:UseAVX=2", "-Xmx512m", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), RunTests.class.getName()));
    cmd.addAll(SELECTED);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(600, TimeUnit.SECONDS)).as(out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("implementation scalar\n")
        .contains("expected scalar (scalar: preferred double vectors of 256 bits")
        // dozens of tests (65 when written), every one passed
        .containsPattern("found ([1-9]\\d+) succeeded \\1 failed 0 skipped 0 aborted 0");
  }
}
