package org.stablesoftmax.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A row gets the same bits however warm the JIT is: interpreted (the Vector API's Java
 * fallback) and compiled (C2's vector instructions) agree, as the kernel uses its own exp.
 */
class DeterminismTest {

  @Test
  void interpretedAndCompiledGiveTheSameBits() throws Exception {
    // compiled: warm up in this JVM first
    for (int i = 0; i < 400; i++) {
      PrintDigest.digest(Kernels.SIMD);
    }
    String compiled = PrintDigest.digest(Kernels.SIMD) + " " + PrintDigest.digest(Kernels.SCALAR);
    String interpreted = runChild("-Xint");
    assertThat(interpreted).isEqualTo(compiled);
  }

  private static String runChild(String option) throws Exception {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(List.of(javaBin, option, "--add-modules",
            "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
            PrintDigest.class.getName()))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return out;
  }
}
