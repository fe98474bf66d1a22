package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executors' warm-up: what it runs, that a fresh JVM runs it for evaluate and not for
 * generate, and that results ignore it. Every command runs in a fresh JVM: none starts a Spark
 * session in the tests' JVM.
 */
@ExtendWith(NoArrowMemoryLeft.class)
class WarmupTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void evaluatesEveryGeneratedRowAndFreesItsArrowMemory() {
    // float and double rows of 128, 10 and 1,000 classes
    assertThat(Warmup.rows()).isEqualTo(2 * (3000 + 3000 + 400));
    assertThat(Warmup.run()).isEqualTo(Warmup.rows());
  }

  @Test
  void aFreshJvmWarmsAsItStartsAndGivesTheSameSummaryWithoutIt(@TempDir Path tmp)
      throws IOException {
    // generate runs no kernel: it does not warm one
    Path data = tmp.resolve("data");
    Path generating = Files.createDirectories(tmp.resolve("cwd-generate"));
    CliProcess.Result g = CliProcess.run(generating, "generate", "--output", data.toString(),
        "--rows", "2000", "--classes", "50", "--files", "2", "--extreme-fraction", "0.1",
        "--bad-fraction", "0.05");
    assertThat(g.exitCode()).as(g.stderr()).isZero();
    assertThat(Files.readString(generating.resolve("logs/stablesoftmax.log")))
        .contains("Running Spark version").doesNotContain(Warmup.class.getName());
    String[] off = {"-D" + Warmup.ENABLED + "=false"};
    JsonNode[] summaries = new JsonNode[2];
    for (int i = 0; i < 2; i++) {
      Path work = Files.createDirectories(tmp.resolve("cwd" + i));
      Path out = tmp.resolve("out" + i);
      CliProcess.Result r = CliProcess.run(work, i == 0 ? List.of() : List.of(off), "evaluate",
          "--input", data.toString(), "--id-col", "id", "--output", out.toString());
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      String log = Files.readString(work.resolve("logs/stablesoftmax.log"));
      if (i == 0) {
        assertThat(log).contains("Initialized executor component for plugin "
            + Warmup.class.getName(), "warmed the kernel on " + Warmup.rows() + " rows");
      } else {
        assertThat(log).doesNotContain(Warmup.class.getName());
      }
      summaries[i] = JSON.readTree(out.resolve("summary.json").toFile());
    }
    assertThat(InProcess.results(summaries[0])).isEqualTo(InProcess.results(summaries[1]));
  }
}
