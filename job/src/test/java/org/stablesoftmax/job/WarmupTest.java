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
import org.stablesoftmax.testing.SparkTestBase;

/**
 * The executors' warm-up: what it runs, that a fresh JVM runs it, and that results ignore it. In
 * this JVM the job uses the tests' shared session, which has no warm-up.
 */
@ExtendWith(NoArrowMemoryLeft.class)
class WarmupTest extends SparkTestBase {

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
    Path data = tmp.resolve("data");
    assertThat(Main.run("generate", "--output", data.toString(), "--rows", "2000", "--classes",
        "50", "--files", "2", "--extreme-fraction", "0.1", "--bad-fraction", "0.05")).isZero();
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
