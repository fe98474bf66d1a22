package org.stablesoftmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.stablesoftmax.job.InProcess.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stablesoftmax.job.Chromium.View;
import org.stablesoftmax.testing.SparkTestBase;

/**
 * report.html in a real browser (Debian's chromium, headless): the demo's evaluation ({@code
 * evaluate --bootstrap 1000 --per-class}) on small generated data, rendered at 1280 px, at a
 * phone's 390 px and in dark mode. The page is not blank, every chart has drawn marks (in the
 * rendered DOM and in the screenshot's pixels), the headline figures are summary.json's, and
 * nothing overflows a phone's width. The screenshot stays as {@code
 * target/report-screenshot.png} (README's picture, docs/report.png, is a copy of it).
 *
 * <p>What is measured in the page is measured by a probe script the test adds to a copy of the
 * report (the report itself has no script): on load it writes the viewport, the document's
 * width, the colour scheme, each chart's box and marks, and each headline figure into the DOM,
 * which chromium then dumps.
 */
class ReportBrowserTest extends SparkTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The light and dark page backgrounds of the report's style sheet. */
  private static final String LIGHT = "rgb(255, 255, 255)";
  private static final String DARK = "rgb(15, 19, 25)";
  /** Where the screenshot stays after the build. */
  static final Path SCREENSHOT = Paths.get("target", "report-screenshot.png");

  private static final String PROBE = """
      <script>
      addEventListener('load', () => {
        const box = e => { const b = e.getBoundingClientRect();
          return {x: b.left + scrollX, y: b.top + scrollY, w: b.width, h: b.height}; };
        const r = {width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
          height: document.documentElement.scrollHeight,
          dark: matchMedia('(prefers-color-scheme: dark)').matches,
          background: getComputedStyle(document.body).backgroundColor, charts: [], figures: []};
        for (const svg of document.querySelectorAll('svg.chart')) {
          const marks = [...svg.querySelectorAll('.mark')];
          const drawn = marks.filter(m => { const b = m.getBoundingClientRect();
            return b.width > 0 || b.height > 0; });
          r.charts.push({id: svg.closest('[id]').id, box: box(svg), marks: marks.length,
            drawn: drawn.length});
        }
        for (const e of document.querySelectorAll('[data-metric]')) {
          r.figures.push({pointer: e.dataset.metric, value: e.dataset.value,
            text: e.textContent, w: e.getBoundingClientRect().width});
        }
        const out = document.createElement('pre');
        out.id = 'probe';
        out.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(r))));
        document.body.appendChild(out);
      });
      </script>
      """;

  /** The phone: a 390 x 844 frame showing the probed report; its probe copied out. */
  private static final String PHONE = """
      <!DOCTYPE html><html><body style="margin:0">
      <iframe id="f" src="probed.html" style="width:390px;height:844px;border:0"></iframe>
      <script>
      addEventListener('load', () => {
        const out = document.createElement('pre');
        out.id = 'probe';
        out.textContent = document.getElementById('f').contentDocument
            .getElementById('probe').textContent;
        document.body.appendChild(out);
      });
      </script></body></html>
      """;

  @TempDir
  static Path dir;
  private static JsonNode summary;
  private static Path report;

  @BeforeAll
  void evaluateTheDemo() throws IOException {
    Chromium.require();
    Path data = dir.resolve("logits");
    // the demo's generate and evaluate, on 5,000 rows x 100 classes
    assertThat(Main.run("generate", "--output", data.toString(), "--rows", "5000", "--classes",
        "100", "--dtype", "float", "--seed", "42", "--extreme-fraction", "0.01",
        "--bad-fraction", "0.002", "--files", "2")).isZero();
    Path out = dir.resolve("evaluation");
    summary = evaluate(data, out, "--id-col", "id", "--bootstrap", "1000", "--per-class");
    report = out.resolve("report.html");
    Files.writeString(dir.resolve("probed.html"), Files.readString(report)
        .replace("</body>", PROBE + "</body>"));
    Files.writeString(dir.resolve("phone.html"), PHONE);
  }

  /** The probe's findings in the DOM chromium dumped. */
  private static JsonNode probe(String dom) throws IOException {
    Matcher m = Pattern.compile("<pre id=\"probe\">([A-Za-z0-9+/=]+)</pre>").matcher(dom);
    assertThat(m.find()).as("the probe ran: %s", dom.length() > 2000
        ? dom.substring(dom.length() - 2000) : dom).isTrue();
    return JSON.readTree(java.util.Base64.getDecoder().decode(m.group(1)));
  }

  /** Asserts the page's charts are all there and each has drawn marks. */
  private static void assertChartsDrawn(JsonNode p) {
    Set<String> ids = new HashSet<>();
    for (JsonNode c : p.get("charts")) {
      String id = c.get("id").asText();
      ids.add(id);
      assertThat(c.get("marks").asInt()).as("%s: marks", id).isPositive();
      assertThat(c.get("drawn").asInt()).as("%s: marks drawn with a size", id)
          .isEqualTo(c.get("marks").asInt());
      assertThat(c.at("/box/w").asDouble()).as("%s: width", id).isGreaterThan(200);
    }
    assertThat(ids).as("every chart").containsExactlyInAnyOrder("reliability-before",
        "confidence", "loss", "incidents", "worst-loss", "worst-calibration");
  }

  @Test
  void atDesktopWidthThePageHasEveryChartDrawnAndSummaryJsonsFigures() throws Exception {
    String html = Files.readString(report, StandardCharsets.UTF_8);
    assertThat(html).doesNotContain("http://", "https://", "<script", "<link");
    Path probed = dir.resolve("probed.html");
    JsonNode first = probe(Chromium.dumpDom(probed, new View(1280, 2400, false)));
    // a window taller than the page: no scroll bar, and the screenshot holds it all
    View desktop = new View(1280, first.get("height").asInt() + 400, false);
    JsonNode p = probe(Chromium.dumpDom(probed, desktop));
    assertThat(p.get("width").asInt()).isEqualTo(1280);
    assertThat(p.get("dark").asBoolean()).isFalse();
    assertThat(p.get("background").asText()).isEqualTo(LIGHT);
    assertChartsDrawn(p);

    // the rendered headline figures are summary.json's
    int shown = 0;
    for (JsonNode f : p.get("figures")) {
      ReportTest.assertShown(summary, f.get("pointer").asText(), f.get("value").asText(),
          f.get("text").asText());
      assertThat(f.get("w").asDouble()).as("%s visible", f.get("pointer")).isPositive();
      shown++;
    }
    assertThat(shown).isGreaterThan(25);

    Chromium.screenshot(report, desktop, SCREENSHOT);
    BufferedImage png = ImageIO.read(SCREENSHOT.toFile());
    assertThat(png.getWidth()).isEqualTo(1280);
    assertThat(png.getHeight()).isGreaterThanOrEqualTo(p.get("height").asInt());
    int background = png.getRGB(2, 2);
    assertThat(background & 0xffffff).as("the light background").isEqualTo(0xffffff);
    assertThat(colours(png, 0, 0, png.getWidth(), png.getHeight())).as("distinct colours")
        .isGreaterThan(100);
    assertThat(share(png, 0, 0, png.getWidth(), png.getHeight(), background))
        .as("share of the page not background").isGreaterThan(0.05);
    for (JsonNode c : p.get("charts")) {
      JsonNode b = c.get("box");
      int x = b.get("x").asInt();
      int y = b.get("y").asInt();
      int w = b.get("w").asInt();
      int h = b.get("h").asInt();
      // a chart's own background is its card's, sampled at the box's corner
      int card = png.getRGB(x + 1, y + 1);
      assertThat(share(png, x, y, w, h, card)).as("%s: pixels drawn", c.get("id"))
          .isGreaterThan(0.01);
      assertThat(barPixels(png, x, y, w, h)).as("%s: pixels of the bars' colour", c.get("id"))
          .isGreaterThan(50);
    }
  }

  @Test
  void onAPhoneNothingOverflowsAndEveryChartIsDrawn() throws Exception {
    JsonNode p = probe(Chromium.dumpDom(dir.resolve("phone.html"), new View(500, 900, false)));
    assertThat(p.get("width").asInt()).as("the frame's viewport").isEqualTo(390);
    assertThat(p.get("scrollWidth").asInt()).as("the document's width").isLessThanOrEqualTo(390);
    assertChartsDrawn(p);
    for (JsonNode c : p.get("charts")) {
      assertThat(c.at("/box/x").asDouble() + c.at("/box/w").asDouble()).as("%s inside",
          c.get("id")).isLessThanOrEqualTo(390);
    }
    for (JsonNode f : p.get("figures")) {
      assertThat(f.get("w").asDouble()).as("%s visible", f.get("pointer")).isPositive();
    }
  }

  @Test
  void inDarkModeThePageIsDarkAndStillDrawn() throws Exception {
    JsonNode p = probe(Chromium.dumpDom(dir.resolve("phone.html"), new View(500, 900, true)));
    assertThat(p.get("dark").asBoolean()).as("prefers-color-scheme: dark").isTrue();
    assertThat(p.get("background").asText()).isEqualTo(DARK);
    assertThat(p.get("scrollWidth").asInt()).isLessThanOrEqualTo(390);
    assertChartsDrawn(p);

    Path png = Paths.get("target", "report-screenshot-dark.png");
    Chromium.screenshot(report, new View(1280, 2000, true), png);
    BufferedImage image = ImageIO.read(png.toFile());
    int corner = image.getRGB(2, 2) & 0xffffff;
    assertThat(corner).as("the dark background").isEqualTo(0x0f1319);
    assertThat(colours(image, 0, 0, image.getWidth(), image.getHeight())).isGreaterThan(100);
    assertThat(barPixels(image, 0, 0, image.getWidth(), image.getHeight()))
        .as("bars drawn in the dark theme's colour").isGreaterThan(1000);
    Files.copy(report, Paths.get("target", "report-demo.html"),
        StandardCopyOption.REPLACE_EXISTING);
  }

  private static int colours(BufferedImage png, int x, int y, int w, int h) {
    Set<Integer> seen = new HashSet<>();
    for (int j = y; j < Math.min(y + h, png.getHeight()); j++) {
      for (int i = x; i < Math.min(x + w, png.getWidth()); i++) {
        seen.add(png.getRGB(i, j));
      }
    }
    return seen.size();
  }

  /** The share of the box's pixels that differ from {@code background}. */
  private static double share(BufferedImage png, int x, int y, int w, int h, int background) {
    long differ = 0;
    long all = 0;
    for (int j = y; j < Math.min(y + h, png.getHeight()); j++) {
      for (int i = x; i < Math.min(x + w, png.getWidth()); i++) {
        all++;
        if (png.getRGB(i, j) != background) {
          differ++;
        }
      }
    }
    return all == 0 ? 0 : (double) differ / all;
  }

  /** Pixels in the box that are clearly blue (the bars, light or dark theme). */
  private static long barPixels(BufferedImage png, int x, int y, int w, int h) {
    long n = 0;
    for (int j = y; j < Math.min(y + h, png.getHeight()); j++) {
      for (int i = x; i < Math.min(x + w, png.getWidth()); i++) {
        int rgb = png.getRGB(i, j);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (b > r + 60 && b > g + 20) {
          n++;
        }
      }
    }
    return n;
  }
}
