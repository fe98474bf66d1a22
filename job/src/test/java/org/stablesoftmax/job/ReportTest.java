package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.report.Report;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.stats.PerClassStats.ClassFigures;
import org.stablesoftmax.stats.RowId;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * report.html from a summary.json made here (no Spark job): its headline figures are the
 * summary's, the after-temperature diagram appears exactly when the summary has one, every chart
 * has a mark per datum, the worst classes are the worst, and the file holds no URL, no script and
 * nothing unescaped. The page is parsed as XML, which the writer guarantees.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** A path full of what must be escaped, and a URL that must not appear as one. */
  private static final String PATH = "https://host/a b/<script>alert('x')</script>&amp;\"";

  private ObjectNode summary;

  @BeforeAll
  void summary() throws Exception {
    PartitionStats stats = new PartitionStats(10, false);
    SplittableRandom rng = new SplittableRandom(4);
    for (int i = 0; i < 2000; i++) {
      int bits = i % 97 == 0 ? IncidentKind.NAN_LOGIT.bit()
          : i % 31 == 0 ? IncidentKind.NAIVE_OVERFLOW.bit() | IncidentKind.SATURATED.bit() : 0;
      stats.row(RowId.of(i), bits);
      if (i % 211 == 0) {
        stats.skip("null_label");
        continue;
      }
      double conf = 0.05 + 0.9 * rng.nextDouble();
      double loss = bits == IncidentKind.NAN_LOGIT.bit() ? Double.NaN
          : Math.pow(10, rng.nextDouble(-7, 3));
      boolean top1 = rng.nextDouble() < conf * 0.8;
      stats.evaluated(loss, top1, top1 || rng.nextBoolean(), 2 * rng.nextDouble(), conf,
          rng.nextDouble());
    }
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("path", PATH);
    input.put("files", 3L);
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("logits_col", "logits");
    options.put("class_weights", "@hdfs://nn/w.txt");
    summary = (ObjectNode) JSON.readTree(new Summary(stats, true, 5, "float32", 2.5, input,
        options).json());
  }

  /** The summary with calibration.temperature, its calibration_after a changed copy. */
  private ObjectNode withTemperature() {
    ObjectNode s = summary.deepCopy();
    ObjectNode t = s.putObject("calibration").putObject("temperature");
    t.put("fitted", 1.7320508075688772).put("iterations", 7).put("converged", true)
        .put("nll_before", 0.9).put("nll_after", 0.8).put("ece_before", 0.12)
        .put("ece_after", 0.031).put("brier_before", 0.7).put("brier_after", 0.65);
    ArrayNode after = s.at("/metrics/calibration").deepCopy();
    ObjectNode emptied = (ObjectNode) after.get(9);
    emptied.put("rows", 0).putNull("accuracy").putNull("mean_confidence")
        .putNull("accuracy_ci");
    ((ObjectNode) after.get(2)).put("accuracy", 0.25);
    t.set("calibration_after", after);
    return s;
  }

  private static Document parse(String html) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
  }

  private static NodeList select(Object context, String xpath) throws Exception {
    return (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, context,
        XPathConstants.NODESET);
  }

  private static int marks(Document d, String sectionXpath) throws Exception {
    return select(d, sectionXpath + "//*[contains(concat(' ', @class, ' '), ' mark ')]")
        .getLength();
  }

  private static long nonEmptyBins(JsonNode table) {
    long n = 0;
    for (JsonNode b : table) {
      if (b.get("rows").asLong() > 0) {
        n++;
      }
    }
    return n;
  }

  @Test
  void theAfterDiagramIsDrawnExactlyWhenTheSummaryHasOne() throws Exception {
    Document plain = parse(Report.html(summary, null));
    assertThat(select(plain, "//*[local-name()='svg' and contains(@class,'reliability')]")
        .getLength()).as("one diagram without a temperature").isEqualTo(1);
    assertThat(select(plain, "//*[@id='reliability-after']").getLength()).isZero();

    ObjectNode s = withTemperature();
    Document d = parse(Report.html(s, null));
    assertThat(select(d, "//*[local-name()='svg' and contains(@class,'reliability')]")
        .getLength()).as("before and after").isEqualTo(2);
    // per bin with rows: a bar, a dot and a whisker
    assertThat(marks(d, "//*[@id='reliability-before']")).as("before")
        .isEqualTo(3 * nonEmptyBins(s.at("/metrics/calibration")));
    JsonNode after = s.at("/calibration/temperature/calibration_after");
    assertThat(marks(d, "//*[@id='reliability-after']")).as("after, one bin emptied")
        .isEqualTo(3 * nonEmptyBins(after));
    assertThat(nonEmptyBins(after)).isEqualTo(nonEmptyBins(s.at("/metrics/calibration")) - 1);
    NodeList bars = select(d, "//*[@id='reliability-after']//*[local-name()='rect']");
    assertThat(bars.item(2).getTextContent()).as("the after table's own accuracy")
        .contains("accuracy 0.250000");
    assertThat(select(d, "//*[@id='reliability-after']//*[local-name()='figcaption']")
        .item(0).getTextContent()).contains("T = 1.732051");
    assertThat(select(d, "//*[@data-metric='/calibration/temperature/ece_after']").item(0)
        .getTextContent()).isEqualTo("0.031000");
  }

  @Test
  void everyHeadlineFigureIsSummaryJsonsValueAsTheTablePrintsIt() throws Exception {
    ObjectNode s = withTemperature();
    Document d = parse(Report.html(s, null));
    NodeList figures = select(d, "//*[@data-metric]");
    List<String> pointers = new ArrayList<>();
    for (int i = 0; i < figures.getLength(); i++) {
      Element e = (Element) figures.item(i);
      String pointer = e.getAttribute("data-metric");
      pointers.add(pointer);
      assertShown(s, pointer, e.getAttribute("data-value"), e.getTextContent());
    }
    assertThat(pointers).contains("/rows/total", "/rows/evaluated", "/rows/skipped",
        "/loss/mean", "/loss/perplexity", "/metrics/accuracy", "/metrics/top_k_accuracy",
        "/metrics/brier", "/metrics/ece", "/metrics/mce", "/metrics/rmsce",
        "/metrics/adaptive_ece", "/metrics/mean_entropy", "/incidents/naive_failure_rows",
        "/incidents/rows", "/incidents/rate", "/loss/non_finite",
        "/calibration/temperature/fitted", "/calibration/temperature/nll_after");
  }

  /**
   * Asserts that a figure shown with {@code data-metric} {@code pointer} is summary.json's value:
   * {@code dataValue} exactly, and {@code text} the value rounded to the last digit it shows
   * (six decimals, or six significant digits; {@code n/a} for null).
   */
  static void assertShown(JsonNode s, String pointer, String dataValue, String text) {
    JsonNode v = s.at(pointer);
    assertThat(v.isMissingNode()).as("%s is in summary.json", pointer).isFalse();
    if (v.isIntegralNumber()) {
      assertThat(dataValue).as(pointer).isEqualTo(v.asText());
      assertThat(text.replace(",", "")).as(pointer).isEqualTo(v.asText());
    } else if (v.isNumber()) {
      assertThat(Double.parseDouble(dataValue)).as(pointer)
          .isEqualTo(v.doubleValue());
      // the text is the value rounded to its last digit shown: six decimals or six
      // significant digits (a percentage three decimals, the seconds two)
      boolean percent = text.endsWith("%");
      BigDecimal shown = new BigDecimal(percent ? text.substring(0, text.length() - 1) : text);
      BigDecimal value = new BigDecimal(v.doubleValue()).scaleByPowerOfTen(percent ? 2 : 0);
      // (scientific notation drops trailing zeros: half a unit of the sixth digit)
      boolean scientific = text.contains("e");
      BigDecimal halfUnit = scientific ? shown.abs().multiply(new BigDecimal("5e-6"))
          : BigDecimal.valueOf(5, shown.scale() + 1);
      assertThat(value.subtract(shown).abs()).as("%s: %s", pointer, text)
          .isLessThanOrEqualTo(halfUnit);
      if (!scientific) {
        int digits = pointer.equals("/timing/evaluate_seconds") ? 2 : percent ? 3 : 6;
        assertThat(shown.scale()).as("%s: %s", pointer, text).isEqualTo(digits);
      }
    } else {
      assertThat(v.isNull()).as(pointer).isTrue();
      assertThat(text).as(pointer).isEqualTo("n/a");
    }
  }

  @Test
  void theFileIsSelfContainedAndEveryTextEscaped() throws Exception {
    String html = Report.html(withTemperature(), List.of());
    assertThat(html).doesNotContain("http://", "https://", "<script", "src=", "href=",
        "url(", "@import", "xmlns", "<link", "<iframe", "<img");
    Document d = parse(html);
    assertThat(select(d, "//*[@class='path']").item(0).getTextContent())
        .as("the path as given, shown as text").isEqualTo(PATH);
    assertThat(select(d, "//title").item(0).getTextContent()).endsWith(PATH);
    assertThat(html).contains("@hdfs&#58;//nn/w.txt");
  }

  @Test
  void chartsHaveAMarkPerDatumAndIncidentsTheirExampleIds() throws Exception {
    Document d = parse(Report.html(summary, null));
    long slots = 0;
    JsonNode h = summary.at("/loss/histogram");
    for (JsonNode n : h.get("rows")) {
      slots += n.asLong() > 0 ? 1 : 0;
    }
    for (String f : new String[] {"zero", "below", "above", "negative", "positive_infinity",
        "negative_infinity", "nan"}) {
      slots += h.get(f).asLong() > 0 ? 1 : 0;
    }
    assertThat(slots).isGreaterThan(20);
    assertThat(marks(d, "//*[@id='loss']")).as("a bar per loss bin with rows").isEqualTo(slots);
    assertThat(marks(d, "//*[@id='confidence']")).as("a bar per confidence bin with rows")
        .isEqualTo(nonEmptyBins(summary.at("/metrics/calibration")));

    List<String> kinds = new ArrayList<>();
    summary.at("/incidents/counts").fields().forEachRemaining(e -> {
      if (e.getValue().asLong() > 0) {
        kinds.add(e.getKey());
      }
    });
    assertThat(kinds).containsExactly("NAN_LOGIT", "NAIVE_OVERFLOW", "SATURATED");
    assertThat(marks(d, "//*[@id='incidents']")).isEqualTo(kinds.size());
    NodeList rows = select(d, "//*[@id='incidents']//tbody/tr");
    assertThat(rows.getLength()).isEqualTo(kinds.size());
    for (int i = 0; i < kinds.size(); i++) {
      NodeList cells = select(rows.item(i), "td");
      List<String> ids = new ArrayList<>();
      summary.at("/incidents/examples/" + kinds.get(i)).forEach(id -> ids.add(id.asText()));
      String more = summary.at("/incidents/counts/" + kinds.get(i)).asLong() > ids.size()
          ? ", \u2026" : "";
      assertThat(cells.item(0).getTextContent()).isEqualTo(kinds.get(i));
      assertThat(cells.item(1).getTextContent())
          .isEqualTo(summary.at("/incidents/counts/" + kinds.get(i)).asText());
      assertThat(cells.item(2).getTextContent()).isEqualTo(String.join(", ", ids) + more);
    }
    assertThat(select(d, "//*[@id='worst-loss']").getLength()).as("no --per-class").isZero();
  }

  @Test
  void theWorstClassesAreTheTwentyLargestFiniteFiguresTiesToTheSmallerClass()
      throws Exception {
    List<ClassFigures> classes = new ArrayList<>();
    for (int c = 0; c < 40; c++) {
      // losses 0, 0.5, 1, ... with pairs of ties; every 7th class without a loss
      double loss = c % 7 == 3 ? Double.NaN : (c / 2) * 0.5;
      double calibration = c == 39 ? Double.NaN : (c * 17 % 40) / 100.0;
      classes.add(new ClassFigures(c, 10 + c, 5, 2, 10 + c, 5, 2, loss, 0.5, -1, 0,
          calibration));
    }
    Document d = parse(Report.html(summary, classes));
    List<String> byLoss = names(d, "worst-loss");
    // by hand: the largest (c / 2) * 0.5 first, of the classes not 3 mod 7;
    // within a tie (2k, 2k + 1) the smaller class first
    List<String> tiesFirst = new ArrayList<>();
    for (int c = 39; c >= 0 && tiesFirst.size() < 20; c--) {
      if (c % 2 == 1 && (c - 1) % 7 != 3) {
        tiesFirst.add("class " + (c - 1));
      }
      if (tiesFirst.size() < 20 && c % 2 == 1 && c % 7 != 3) {
        tiesFirst.add("class " + c);
      }
    }
    assertThat(byLoss).hasSize(20).isEqualTo(tiesFirst);
    List<String> byCalibration = names(d, "worst-calibration");
    // c * 17 mod 40 takes each of 0 ... 39 once; class 39 (value 0.23) has none
    List<String> largest = new ArrayList<>();
    for (int v = 39; largest.size() < 20; v--) {
      for (int c = 0; c < 39; c++) {
        if (c * 17 % 40 == v) {
          largest.add("class " + c);
        }
      }
    }
    assertThat(byCalibration).hasSize(20).isEqualTo(largest);
  }

  private static List<String> names(Document d, String section) throws Exception {
    NodeList names = select(d, "//*[@id='" + section + "']//*[local-name()='text'"
        + " and @class='name']");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < names.getLength(); i++) {
      out.add(names.item(i).getTextContent());
    }
    return out;
  }
}
