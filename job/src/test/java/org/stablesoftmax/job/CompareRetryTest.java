package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code compare} with every scoring task failing its first attempt after its work: Spark runs
 * them again, and the comparison is the same to the bit as without failures (no row paired or
 * counted twice), on both engines.
 */
class CompareRetryTest extends SparkTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public SparkConf conf() {
    // up to 4 attempts per task
    return super.conf().setMaster("local[2,4]");
  }

  @Test
  void retriedTasksArePairedOnce(@TempDir Path tmp) throws IOException {
    SplittableRandom rng = new SplittableRandom(3);
    List<Row> a = new ArrayList<>();
    List<Row> b = new ArrayList<>();
    for (long id = 0; id < 600; id++) {
      int y = rng.nextInt(4);
      double[] xa = new double[4];
      double[] xb = new double[4];
      for (int c = 0; c < 4; c++) {
        xa[c] = rng.nextGaussian() + (c == y ? 1 : 0);
        xb[c] = xa[c] + rng.nextGaussian();
      }
      a.add(RowFactory.create(id, y, xa));
      if (id % 40 != 1) {
        b.add(RowFactory.create(id, id % 33 == 2 ? (y + 1) % 4 : y, xb));
      }
    }
    spark().createDataFrame(a, InProcess.LABELED_ROWS).repartition(3).write()
        .parquet(tmp.resolve("a").toString());
    spark().createDataFrame(b, InProcess.LABELED_ROWS).repartition(2).write()
        .parquet(tmp.resolve("b").toString());
    for (String engine : new String[] {"arrow", "udf"}) {
      JsonNode normal = compare(tmp, tmp.resolve("normal-" + engine), engine);
      SparkConf conf = SparkEnv.get().conf();
      conf.set(Engine.FAIL_FIRST_ATTEMPT, "true");
      JsonNode retried;
      try {
        retried = compare(tmp, tmp.resolve("retried-" + engine), engine);
      } finally {
        conf.remove(Engine.FAIL_FIRST_ATTEMPT);
      }
      assertThat(results(retried)).as(engine).isEqualTo(results(normal));
      assertThat(normal.at("/input_a/rows/total").asLong()).isEqualTo(a.size());
      assertThat(normal.at("/ids/only_in_a").asLong()).isEqualTo(15);
      assertThat(normal.at("/ids/label_mismatch").asLong()).isPositive();
    }
  }

  private static JsonNode compare(Path tmp, Path out, String engine) throws IOException {
    InProcess.Run r = InProcess.run("compare", "--a", tmp.resolve("a").toString(), "--b",
        tmp.resolve("b").toString(), "--id-col", "id", "--bootstrap", "20", "--per-class",
        "--engine", engine, "--output", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    return JSON.readTree(out.resolve("compare.json").toFile());
  }

  private static String results(JsonNode s) {
    ObjectNode c = s.deepCopy();
    c.remove("timing");
    ((ObjectNode) c.get("bootstrap")).remove("seconds");
    return c.toPrettyString();
  }
}
