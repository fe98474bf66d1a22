package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.RowId;

/** The printed table and summary.json for extreme figures (no Spark job: the stats by hand). */
class SummaryTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Rows evaluated with these losses (top-1 right), entropy and top probability as given. */
  private static Summary summary(double entropy, double... losses) {
    PartitionStats stats = new PartitionStats();
    for (int i = 0; i < losses.length; i++) {
      stats.row(RowId.of(i), 0);
      stats.evaluated(losses[i], true, true, entropy, 0.5, 0.25);
    }
    return new Summary(stats, true, 5, "float32", 1.5, new LinkedHashMap<>(),
        new LinkedHashMap<>());
  }

  /** The table's lines as name -> value. */
  private static Map<String, String> table(Summary s) {
    Map<String, String> lines = new LinkedHashMap<>();
    for (String line : s.table().lines().toList()) {
      lines.put(line.substring(0, 31).strip(), line.substring(31));
    }
    return lines;
  }

  @Test
  void hugeFiguresPrintInScientificNotationAndAnInfinitePerplexityAsInf() {
    Summary s = summary(1e-310, 4.4e300);
    assertThat(s.perplexity()).as("exp(4.4e300)").isInfinite();
    Map<String, String> t = table(s);
    assertThat(t.get("mean loss")).as("mean loss").isEqualTo("4.4e+300");
    assertThat(t.get("perplexity")).as("perplexity").isEqualTo("inf");
    assertThat(t.get("mean entropy")).as("a subnormal entropy").isEqualTo("1e-310 nats");
    assertThat(s.table().lines().toList()).as("every line short")
        .allSatisfy(line -> assertThat(line.length()).isLessThan(72));
  }

  @Test
  void smallAndLargeButOrdinaryFiguresKeepSixDecimals() {
    Map<String, String> t = table(summary(0.25, 1.0, 2.0));
    assertThat(t.get("mean loss")).as("mean loss").isEqualTo("1.500000");
    assertThat(t.get("perplexity")).as("exp(1.5)").isEqualTo("4.481689");
    assertThat(t.get("mean entropy")).as("mean entropy").isEqualTo("0.250000 nats");

    t = table(summary(2e-5, 1e7, 3e7));
    assertThat(t.get("mean loss")).as("2e7").isEqualTo("2e+07");
    assertThat(t.get("mean entropy")).as("2e-5").isEqualTo("2e-05 nats");
  }

  @Test
  void nanFiguresPrintAsNotAvailable() {
    // the one evaluated row has a NaN loss: no finite loss, so no mean
    Map<String, String> t = table(summary(Double.NaN, Double.NaN));
    assertThat(t.get("mean loss")).as("mean loss")
        .isEqualTo("n/a (1 non-finite losses left out)");
    assertThat(t.get("perplexity")).as("perplexity").isEqualTo("n/a");
    assertThat(t.get("mean entropy")).as("mean entropy").isEqualTo("n/a nats");
  }

  @Test
  void summaryJsonHoldsNullForAnInfiniteOrNaNPerplexityAndStaysValidJson() throws IOException {
    JsonNode huge = JSON.readTree(summary(1e-310, 4.4e300).json());
    assertThat(huge.at("/loss/mean").isNumber()).as("loss.mean a number").isTrue();
    assertThat(huge.at("/loss/mean").doubleValue()).as("loss.mean").isEqualTo(4.4e300);
    assertThat(huge.at("/loss/perplexity").isNull()).as("infinite perplexity: null").isTrue();
    assertThat(huge.at("/metrics/mean_entropy").doubleValue()).as("subnormal entropy")
        .isEqualTo(1e-310);

    JsonNode nan = JSON.readTree(summary(Double.NaN, Double.NaN).json());
    for (String field : List.of("/loss/mean", "/loss/perplexity", "/metrics/mean_entropy")) {
      assertThat(nan.at(field).isNull()).as("%s of NaN: null", field).isTrue();
    }
    assertThat(nan.at("/loss/non_finite").asLong()).as("loss.non_finite").isEqualTo(1);
  }
}
