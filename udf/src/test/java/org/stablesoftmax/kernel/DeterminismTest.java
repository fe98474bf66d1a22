package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A row gets the same bits however warm the JIT is, and whichever kernel runs it: interpreted
 * (the Vector API's Java fallback), compiled (C2's vector instructions), and on the scalar path,
 * as on a CPU without 512-bit vectors. On such a CPU {@link Kernels#SIMD} is the scalar kernel,
 * and the first test compares it interpreted with it compiled.
 */
class DeterminismTest {

  private static long compiled;

  @BeforeAll
  static void compiledDigest() {
    // warm up, so that C2 compiles the vector loops
    for (int i = 0; i < 400; i++) {
      PrintDigest.digest(Kernels.SIMD);
    }
    compiled = PrintDigest.digest(Kernels.SIMD);
  }

  @Test
  void interpretedAndCompiledGiveTheSameBits() throws Exception {
    // the SIMD kernel whatever the JIT, where this CPU has its vectors; the scalar one elsewhere
    String kernel = Kernels.SIMD_RUNS ? "vector" : "provider";
    assertThat(runChild(List.of("-Xint"), kernel)).as(Kernels.why())
        .isEqualTo(Kernels.SIMD.name() + " " + compiled);
  }

  @Test
  void withoutAvx512TheScalarKernelRunsAndGivesTheSameBits() throws Exception {
    assertThat(runChild(List.of("-XX:UseAVX=2"), "provider")).isEqualTo("scalar " + compiled);
  }

  private static String runChild(List<String> jvmOptions, String kernel) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(Kernels.cpuOptions());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), PrintDigest.class.getName(), kernel));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return out;
  }
}
