package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.assertBadInput;
import static org.stablesoftmax.job.InProcess.run;

import ch.obermuhlner.math.big.BigDecimalMath;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.compare.McNemarReference;
import org.stablesoftmax.kernel.SoftmaxRow;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * {@code compare --a A --b B --id-col id}: two models' logits on mostly the same rows (B = A's
 * logits perturbed; some ids only in one, some duplicated, some labels changed, some rows bad),
 * against references computed here: the kinds of ids and their smallest examples by a plain
 * loop, the paired loss difference from per-row losses in 40-digit big-math, McNemar's counts by
 * a plain loop and its p-value as an exact fraction, the paired bootstrap interval by the
 * documented method; and the same results to the bit for any partitioning and either engine.
 */
class CompareCommandTest extends SparkTestBase {

  private static final MathContext MC = new MathContext(40);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ROWS = 2000;
  private static final int CLASSES = 5;
  private static final int B = 200;
  private static final int M = 10_000;
  private static final long SEED = 11;

  private static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType)
      .add("label", DataTypes.IntegerType)
      .add("logits", DataTypes.createArrayType(DataTypes.DoubleType, true));

  @TempDir
  static Path data;
  private static final List<Row> A = new ArrayList<>();
  private static final List<Row> BROWS = new ArrayList<>();

  @BeforeAll
  void write() {
    SplittableRandom rng = new SplittableRandom(8);
    for (int i = 0; i < ROWS; i++) {
      long id = i * 7919L + 13;
      int y = rng.nextInt(CLASSES);
      double[] xa = new double[CLASSES];
      double[] xb = new double[CLASSES];
      for (int c = 0; c < CLASSES; c++) {
        xa[c] = rng.nextGaussian() + (c == y ? 1.0 : 0.0);
        xb[c] = xa[c] + 0.8 * rng.nextGaussian() + (c == y ? 0.3 : 0.0);
      }
      if (i % 97 == 0) {
        xa[y] = -800; // a huge loss, still finite
      }
      A.add(RowFactory.create(id, y, i % 73 == 2 ? null : box(xa))); // null logits: skipped
      if (i % 101 == 5) {
        A.add(RowFactory.create(id, y, box(xa))); // a duplicate in A
      }
      if (i % 50 == 3) {
        continue; // only in A
      }
      int yb = i % 61 == 11 ? (y + 1) % CLASSES : i % 83 == 9 ? 7 : y; // changed, out of range
      Double[] b = box(xb);
      if (i % 79 == 4) {
        b[0] = Double.NaN; // evaluated, a NaN loss
      }
      BROWS.add(RowFactory.create(id, yb, b));
      if (i % 89 == 7) {
        BROWS.add(RowFactory.create(id, yb, box(xa))); // a duplicate in B
      }
    }
    A.add(RowFactory.create(null, 1, box(new double[] {0, 1, 0, 0, 0}))); // a null id
    A.add(RowFactory.create(null, 2, box(new double[] {0, 1, 0, 0, 0})));
    for (int k = 1; k <= 30; k++) {
      BROWS.add(RowFactory.create(-31L * k, 1, box(new double[] {0, 1, 0, 0, 0}))); // only in B
    }
    for (int parts : new int[] {1, 4}) {
      spark().createDataFrame(A, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("a" + parts).toString());
    }
    for (int parts : new int[] {1, 3}) {
      spark().createDataFrame(BROWS, SCHEMA).repartition(parts).write()
          .parquet(data.resolve("b" + parts).toString());
    }
  }

  private static Double[] box(double[] x) {
    return Arrays.stream(x).boxed().toArray(Double[]::new);
  }

  private static JsonNode compare(Path a, Path b, Path out, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("compare", "--a", a.toString(), "--b",
        b.toString(), "--id-col", "id", "--output", out.toString()));
    args.addAll(List.of(more));
    InProcess.Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("paired loss B - A", "McNemar exact", "comparison: ");
    return JSON.readTree(out.resolve("compare.json").toFile());
  }

  /** The results without what depends on the layout and the run (paths, files, time). */
  private static String results(JsonNode s) {
    ObjectNode c = s.deepCopy();
    c.remove("timing");
    for (String input : new String[] {"input_a", "input_b"}) {
      ObjectNode in = (ObjectNode) c.get(input);
      in.remove(List.of("path", "files", "schema"));
    }
    if (c.has("bootstrap")) {
      ((ObjectNode) c.get("bootstrap")).remove("seconds");
    }
    ((ObjectNode) c.get("options")).remove(List.of("a", "b", "engine"));
    return c.toPrettyString();
  }

  // ------------------------------------------------------------------ the references

  /** A row as the test reads it back: its label, logits (null for none), a NaN among them. */
  private record Side(int label, double[] x) {
    boolean evaluated() {
      return x != null && label >= 0 && label < CLASSES;
    }

    /** The first largest logit, NaN counting as largest (as torch.argmax). */
    int argmax() {
      int k = 0;
      for (int c = 0; c < x.length; c++) {
        if (Double.isNaN(x[c])) {
          return c;
        }
        if (x[c] > x[k]) {
          k = c;
        }
      }
      return k;
    }

    boolean finite() {
      return Arrays.stream(x).allMatch(Double::isFinite);
    }

    /** The loss in 40 digits: log Σ exp(x_i - x_y). */
    BigDecimal loss() {
      BigDecimal sum = BigDecimal.ZERO;
      for (double v : x) {
        sum = sum.add(BigDecimalMath.exp(new BigDecimal(v).subtract(new BigDecimal(x[label])),
            MC), MC);
      }
      return BigDecimalMath.log(sum, MC);
    }

    /** The kernel's loss of the row (a double), for the exact sums. */
    double kernelLoss() {
      SoftmaxRow row = new SoftmaxRow();
      row.analyze(x, 0, x.length, 1.0);
      return row.crossEntropy(label);
    }
  }

  private static Map<Long, List<Side>> byId(List<Row> rows) {
    Map<Long, List<Side>> m = new HashMap<>();
    for (Row r : rows) {
      if (r.isNullAt(0)) {
        continue; // a null id: never paired
      }
      Double[] l = (Double[]) r.get(2);
      double[] x = l == null ? null : Arrays.stream(l).mapToDouble(Double::doubleValue).toArray();
      m.computeIfAbsent(r.getLong(0), k -> new ArrayList<>()).add(new Side(r.getInt(1), x));
    }
    return m;
  }

  /** What the plain loop finds: per kind its ids, and the compared pairs. */
  private record Expected(TreeMap<String, TreeSet<Long>> kinds, List<long[]> pairs,
      Map<Long, Side[]> compared) {}

  private static Expected expected() {
    Map<Long, List<Side>> a = byId(A);
    Map<Long, List<Side>> b = byId(BROWS);
    TreeSet<Long> ids = new TreeSet<>(a.keySet());
    ids.addAll(b.keySet());
    TreeMap<String, TreeSet<Long>> kinds = new TreeMap<>();
    for (String k : new String[] {"duplicate_ids", "only_in_a", "only_in_b", "not_evaluated",
        "label_mismatch", "compared"}) {
      kinds.put(k, new TreeSet<>());
    }
    Map<Long, Side[]> compared = new TreeMap<>();
    for (long id : ids) {
      List<Side> ra = a.getOrDefault(id, List.of());
      List<Side> rb = b.getOrDefault(id, List.of());
      String kind;
      if (ra.size() > 1 || rb.size() > 1) {
        kind = "duplicate_ids";
      } else if (rb.isEmpty()) {
        kind = "only_in_a";
      } else if (ra.isEmpty()) {
        kind = "only_in_b";
      } else if (!ra.get(0).evaluated() || !rb.get(0).evaluated()) {
        kind = "not_evaluated";
      } else if (ra.get(0).label() != rb.get(0).label()) {
        kind = "label_mismatch";
      } else {
        kind = "compared";
        compared.put(id, new Side[] {ra.get(0), rb.get(0)});
      }
      kinds.get(kind).add(id);
    }
    return new Expected(kinds, List.of(), compared);
  }

  // ------------------------------------------------------------------ the tests

  @Test
  void theComparisonIsTheReferencesAndIndependentOfLayoutAndEngine(@TempDir Path out)
      throws IOException {
    String[] opts = {"--bootstrap", Integer.toString(B), "--seed", Long.toString(SEED),
        "--per-class"};
    JsonNode s = compare(data.resolve("a4"), data.resolve("b3"), out.resolve("x"), opts);
    Expected e = expected();

    // every id of either input in one kind, counted, its smallest ids named
    long total = 0;
    for (Map.Entry<String, TreeSet<Long>> k : e.kinds().entrySet()) {
      assertThat(s.at("/ids/" + k.getKey()).asLong()).as(k.getKey())
          .isEqualTo(k.getValue().size()).isPositive();
      total += k.getValue().size();
      if (!k.getKey().equals("compared")) {
        List<Long> smallest = k.getValue().stream().limit(10).toList();
        List<Long> got = new ArrayList<>();
        s.at("/ids/examples/" + k.getKey()).forEach(n -> got.add(n.asLong()));
        assertThat(got).as("examples of %s", k.getKey()).isEqualTo(smallest);
      }
    }
    assertThat(s.at("/ids/total").asLong()).isEqualTo(total);
    assertThat(s.at("/ids/null_id_rows_a").asLong()).isEqualTo(2);
    assertThat(s.at("/ids/null_id_rows_b").asLong()).isZero();
    assertThat(s.at("/input_a/rows/total").asLong()).isEqualTo(A.size());
    assertThat(s.at("/input_b/rows/total").asLong()).isEqualTo(BROWS.size());
    assertThat(s.at("/input_a/rows/skipped_by_reason/null_logits").asLong())
        .isEqualTo(A.stream().filter(r -> r.isNullAt(2)).count());
    assertThat(s.at("/input_b/rows/skipped_by_reason/label_out_of_range").asLong())
        .isEqualTo(BROWS.stream().filter(r -> r.getInt(1) >= CLASSES).count());
    assertThat(s.at("/input_b/incidents/counts/NAN_LOGIT").asLong()).isPositive();

    // the paired loss difference: against 40 digits within a few ulps of the largest loss; the
    // exact sum of the kernel's own losses, to the bit
    BigDecimal reference = BigDecimal.ZERO;
    BigDecimal kernel = BigDecimal.ZERO;
    long pairs = 0;
    long b01 = 0;
    long b10 = 0;
    long right = 0;
    long rightB = 0;
    double largest = 0;
    for (Side[] p : e.compared().values()) {
      boolean ta = p[0].argmax() == p[0].label();
      boolean tb = p[1].argmax() == p[1].label();
      right += ta ? 1 : 0;
      rightB += tb ? 1 : 0;
      b01 += ta && !tb ? 1 : 0;
      b10 += !ta && tb ? 1 : 0;
      if (p[0].finite() && p[1].finite()) {
        reference = reference.add(p[1].loss()).subtract(p[0].loss());
        kernel = kernel.add(new BigDecimal(p[1].kernelLoss()))
            .subtract(new BigDecimal(p[0].kernelLoss()));
        largest = Math.max(largest, p[0].kernelLoss());
        pairs++;
      }
    }
    int n = e.compared().size();
    assertThat(s.at("/paired/pairs").asLong()).isEqualTo(n);
    assertThat(s.at("/paired/loss_difference/pairs").asLong()).isEqualTo(pairs);
    assertThat(s.at("/paired/loss_difference/pairs_with_a_non_finite_loss").asLong())
        .isEqualTo(n - pairs).isPositive();
    double mean = s.at("/paired/loss_difference/mean").doubleValue();
    double exact = reference.divide(BigDecimal.valueOf(pairs), MC).doubleValue();
    assertThat(Math.abs(mean - exact)).as("mean %s, reference %s", mean, exact)
        .isLessThanOrEqualTo(16 * Math.ulp(largest));
    assertThat(mean).isEqualTo(kernel.round(MathContext.DECIMAL64).doubleValue() / pairs);
    assertThat(mean).isEqualTo(kernel.doubleValue() / pairs);
    assertThat(s.at("/paired/loss_difference/mean_ci/0").doubleValue()).isLessThan(mean);
    assertThat(s.at("/paired/loss_difference/mean_ci/1").doubleValue()).isGreaterThan(mean);

    // McNemar: the counts by the loop, the p-value against the exact fraction
    assertThat(s.at("/paired/mcnemar/b01").asLong()).isEqualTo(b01);
    assertThat(s.at("/paired/mcnemar/b10").asLong()).isEqualTo(b10);
    assertThat(s.at("/paired/mcnemar/both_right").asLong() + b01).isEqualTo(right);
    assertThat(s.at("/paired/mcnemar/both_right").asLong() + b10).isEqualTo(rightB);
    BigDecimal p = McNemarReference.exact(b01, b10);
    double got = s.at("/paired/mcnemar/p_value").doubleValue();
    assertThat(new BigDecimal(got).subtract(p).abs().divide(p, MC).doubleValue())
        .as("p = %s, exactly %s", got, p).isLessThanOrEqualTo(1e-12);
    assertThat(s.at("/a/metrics/accuracy").doubleValue()).isEqualTo((double) right / n);
    assertThat(s.at("/b/metrics/accuracy").doubleValue()).isEqualTo((double) rightB / n);
    assertThat(s.at("/paired/differences/accuracy").doubleValue())
        .isEqualTo((double) rightB / n - (double) right / n);

    // the paired bootstrap, by the documented method: the differences' bucket sums (of seed and
    // id), B replicates of M buckets drawn by SplittableRandom(seed), numpy's percentiles
    BigDecimal[][] sums = new BigDecimal[M][2];
    for (BigDecimal[] bucket : sums) {
      Arrays.fill(bucket, BigDecimal.ZERO);
    }
    for (Map.Entry<Long, Side[]> pair : e.compared().entrySet()) {
      Side[] q = pair.getValue();
      if (q[0].finite() && q[1].finite()) {
        BigDecimal[] bucket = sums[Math.floorMod(XXH64.hashLong(pair.getKey(), SEED), M)];
        bucket[0] = bucket[0].add(new BigDecimal(q[1].kernelLoss() - q[0].kernelLoss()));
        bucket[1] = bucket[1].add(BigDecimal.ONE);
      }
    }
    SplittableRandom draws = new SplittableRandom(SEED);
    double[] replicates = new double[B];
    for (int r = 0; r < B; r++) {
      double d = 0;
      double w = 0;
      for (int i = 0; i < M; i++) {
        BigDecimal[] picked = sums[draws.nextInt(M)];
        d += picked[0].doubleValue();
        w += picked[1].doubleValue();
      }
      replicates[r] = d / w;
    }
    Arrays.sort(replicates);
    for (int end = 0; end < 2; end++) {
      double h = (B - 1) * (end == 0 ? 0.025 : 0.975);
      int lo = (int) h;
      double want = replicates[lo] + (h - lo) * (replicates[lo + 1] - replicates[lo]);
      double have = s.at("/paired/loss_difference/mean_ci/" + end).doubleValue();
      assertThat(Math.abs(have - want)).as("mean_ci[%d]: %s, method %s", end, have, want)
          .isLessThanOrEqualTo(1e-12);
    }

    // per class: the support and recalls by the loop
    Map<Integer, long[]> perClass = new TreeMap<>();
    for (Side[] q : e.compared().values()) {
      long[] c = perClass.computeIfAbsent(q[0].label(), k -> new long[3]);
      c[0]++;
      c[1] += q[0].argmax() == q[0].label() ? 1 : 0;
      c[2] += q[1].argmax() == q[1].label() ? 1 : 0;
    }
    List<Row> table = spark().read().parquet(out.resolve("x/compare_per_class.parquet")
        .toString()).orderBy("class").collectAsList();
    assertThat(table).hasSize(CLASSES);
    for (Row r : table) {
      long[] c = perClass.get(r.<Integer>getAs("class"));
      assertThat(r.<Long>getAs("support")).isEqualTo(c[0]);
      assertThat(r.<Double>getAs("a_recall")).isEqualTo((double) c[1] / c[0]);
      assertThat(r.<Double>getAs("b_recall")).isEqualTo((double) c[2] / c[0]);
      assertThat(r.<Double>getAs("delta_recall"))
          .isEqualTo((double) c[2] / c[0] - (double) c[1] / c[0]);
    }
    assertThat(s.at("/per_class/macro/f1/a").isNumber()).isTrue();
    assertThat(Files.readString(out.resolve("x/compare.html"), StandardCharsets.UTF_8))
        .contains("data-metric=\"/paired/loss_difference/mean_ci/0\"",
            "data-metric=\"/per_class/macro/f1/difference\"", "id=\"per-class\"");

    // the same bits for other partitionings and the other engine
    for (String[] run : new String[][] {{"a1", "b1", "udf"}, {"a1", "b3", "arrow"},
        {"a4", "b1", "udf"}}) {
      List<String> args = new ArrayList<>(List.of(opts));
      args.addAll(List.of("--engine", run[2]));
      JsonNode other = compare(data.resolve(run[0]), data.resolve(run[1]),
          out.resolve(String.join("-", run)), args.toArray(String[]::new));
      assertThat(results(other)).as(String.join(", ", run)).isEqualTo(results(s));
    }
  }

  @Test
  void withoutOutputTheTableIsPrintedAndTheHtmlIsSelfContained(@TempDir Path out)
      throws IOException {
    InProcess.Run r = run("compare", "--a", data.resolve("a1").toString(), "--b",
        data.resolve("b1").toString(), "--id-col", "id");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("stablesoftmax compare", "over the pairs", "mean loss",
        "accuracy", "top-5 accuracy", "ECE (15 bins)", "only in a", "duplicate ids",
        "label mismatch", "paired loss B - A", "McNemar exact").doesNotContain("comparison: ");
    JsonNode s = compare(data.resolve("a1"), data.resolve("b1"), out.resolve("o"));
    assertThat(s.has("bootstrap")).isFalse();
    assertThat(s.at("/paired/loss_difference").has("mean_ci")).isFalse();
    String html = Files.readString(out.resolve("o/compare.html"), StandardCharsets.UTF_8);
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg", "class=\"mark bar\"",
        "McNemar", "prefers-color-scheme:dark").doesNotContain("http://", "https://", "<script",
        "<link");
    // every figure on the page is compare.json's, named by its pointer
    Matcher m = Pattern.compile("data-metric=\"([^\"]+)\" data-value=\"([^\"]+)\"")
        .matcher(html);
    int figures = 0;
    while (m.find()) {
      JsonNode v = s.at(m.group(1));
      assertThat(v.isMissingNode()).as(m.group(1)).isFalse();
      String shown = m.group(2);
      if (v.isNull()) {
        assertThat(shown).as(m.group(1)).isEqualTo("null");
      } else if (v.isIntegralNumber()) {
        assertThat(Long.parseLong(shown)).as(m.group(1)).isEqualTo(v.longValue());
      } else {
        assertThat(Double.parseDouble(shown)).as(m.group(1)).isEqualTo(v.doubleValue());
      }
      figures++;
    }
    assertThat(figures).isGreaterThan(40);
    assertThat(html).contains("data-metric=\"/paired/loss_difference/mean\"",
        "data-metric=\"/paired/mcnemar/b01\"", "data-metric=\"/b/metrics/ece\"");
    assertThat(Files.exists(out.resolve("o/compare_per_class.parquet"))).isFalse();
  }

  /**
   * compare.html in Debian's chromium, headless, at 1280 px in light and dark mode: the page's
   * background, many colours, and the bar chart's bars drawn in the theme's bar colour; the light
   * screenshot is kept as target/compare-screenshot.png.
   */
  @Test
  void theHtmlIsDrawnInABrowserInLightAndDarkMode(@TempDir Path out) throws Exception {
    Chromium.require();
    compare(data.resolve("a4"), data.resolve("b3"), out.resolve("o"), "--bootstrap", "50",
        "--per-class");
    Path page = out.resolve("o/compare.html");
    int[][] themes = {{0xffffff, 0x3d6fb5}, {0x0f1319, 0x6fa2ec}};
    for (int t = 0; t < 2; t++) {
      Path png = Paths.get("target", t == 0 ? "compare-screenshot.png"
          : "compare-screenshot-dark.png");
      Chromium.screenshot(page, new Chromium.View(1280, 1800, t == 1), png);
      BufferedImage image = ImageIO.read(png.toFile());
      assertThat(image.getRGB(2, 2) & 0xffffff).as("the background").isEqualTo(themes[t][0]);
      Set<Integer> colours = new HashSet<>();
      long bar = 0;
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          int rgb = image.getRGB(x, y) & 0xffffff;
          colours.add(rgb);
          bar += rgb == themes[t][1] ? 1 : 0;
        }
      }
      assertThat(colours.size()).as("distinct colours").isGreaterThan(100);
      // 8 bars of about 100 x 18 pixels at least
      assertThat(bar).as("pixels of the bars' colour").isGreaterThan(8 * 1000);
    }
  }

  @Test
  void badInputIsOneSentenceAndWritesNothing(@TempDir Path out) throws IOException {
    String a = data.resolve("a1").toString();
    String b = data.resolve("b1").toString();
    String o = out.resolve("o").toString();
    assertBadInput(run("compare", "--a", a, "--b", out.resolve("none").toString(), "--id-col",
        "id", "--output", o), "none");
    assertBadInput(run("compare", "--a", a, "--b", b, "--output", o), "--id-col");
    assertBadInput(run("compare", "--a", a, "--b", b, "--id-col", "key", "--output", o),
        "'key'");
    assertBadInput(run("compare", "--a", a, "--b", b, "--id-col", "id", "--label-col", "y",
        "--output", o), "'y'", "--label-col");
    assertBadInput(run("compare", "--a", a, "--b", b, "--id-col", "id", "--no-label",
        "--output", o), "--no-label");
    assertBadInput(run("compare", "--a", a, "--b", b, "--id-col", "id", "--logits-col",
        "label", "--output", o), "label");
    assertBadInput(run("compare", "--a", a, "--id-col", "id"), "--b");
    assertBadInput(run("compare", "--a", a, "--b", b, "--id-col", "id", "--bootstrap", "0"),
        "--bootstrap");
    assertThat(Files.exists(out.resolve("o"))).isFalse();
    try (var files = Files.list(out)) {
      assertThat(files.toList()).isEmpty();
    }
  }
}
