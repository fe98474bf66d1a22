package org.stablesoftmax.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.stablesoftmax.stats.LossHistogram;
import org.stablesoftmax.stats.PerClassStats.ClassFigures;

/**
 * {@code report.html}: one self-contained page drawn from an evaluation's {@code summary.json}
 * (and its per-class figures, with {@code --per-class}): the headline table, the reliability
 * diagram (before and after temperature scaling, when a temperature was fitted), the confidence
 * and loss histograms, the incidents with their example ids, the worst classes, and the options
 * and versions. No script, no external resource: styles and inline SVG only, light and dark.
 *
 * <p>Every headline figure is an element with {@code data-metric}, the JSON pointer of its value
 * in {@code summary.json}, and {@code data-value}, that value in full; its text is the value as
 * the printed table shows it.
 */
public final class Report {

  /** The classes shown in each of the worst-class charts. */
  public static final int WORST = 20;

  /** The page style, shared by compare.html. */
  static final String CSS = """
      :root{color-scheme:light dark;--bg:#ffffff;--card:#f5f7fa;--fg:#1c2128;--muted:#59636e;
      --grid:#d6dbe1;--axis:#59636e;--bar:#3d6fb5;--band:#c4501b;--point:#1c2128;--ref:#8a939c}
      @media (prefers-color-scheme:dark){:root{--bg:#0f1319;--card:#1a2029;--fg:#e4e8ee;
      --muted:#9aa4af;--grid:#333c47;--axis:#9aa4af;--bar:#6fa2ec;--band:#f09a5f;--point:#f4f6f8;
      --ref:#7d8792}}
      *{box-sizing:border-box}
      body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,
      "Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
      main{max-width:1240px;margin:0 auto;padding:16px}
      h1{font-size:1.45rem;margin:.2rem 0}h2{font-size:1.1rem;margin:.2rem 0 .6rem}
      h3{font-size:.95rem;margin:.8rem 0 .3rem;color:var(--muted)}
      .path{color:var(--muted);overflow-wrap:anywhere;margin:0 0 12px}
      .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,36rem),1fr));
      gap:16px}
      .card{background:var(--card);border-radius:10px;padding:12px 16px;min-width:0}
      .wide{grid-column:1/-1}
      table{border-collapse:collapse;width:100%;font-size:.9rem}
      th,td{text-align:left;padding:3px 8px 3px 0;vertical-align:top;overflow-wrap:anywhere;
      border-bottom:1px solid var(--grid)}
      td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
      .num{font-variant-numeric:tabular-nums}
      .ci,.note{color:var(--muted)}th.sub{padding-left:1.2em;font-weight:normal}
      #headline th{white-space:nowrap;width:1%;padding-right:16px}
      #incidents td:first-child{white-space:nowrap}
      code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
      .pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));
      gap:12px}
      figure{margin:0}figcaption{font-size:.85rem;color:var(--muted)}
      details{margin-top:.5rem;font-size:.9rem}summary{cursor:pointer;color:var(--muted)}
      svg.chart{display:block;width:100%;height:auto;max-width:760px}
      svg text{font-size:11px;fill:var(--muted)}svg text.title{font-size:12px;fill:var(--fg)}
      svg text.name,svg text.value{font-size:12px;fill:var(--fg)}svg text.count,svg text.small{font-size:10px}
      .axis{stroke:var(--axis);stroke-width:1}.grid line,line.grid{stroke:var(--grid)}
      line.ref{stroke:var(--ref);stroke-dasharray:4 3}
      rect.bar{fill:var(--bar)}svg.reliability rect.bar{fill-opacity:.75}
      line.band{stroke:var(--band);stroke-width:2}circle.point{fill:var(--point)}
      footer{color:var(--muted);font-size:.85rem;margin-top:16px}
      @media (max-width:600px){main{padding:8px}.card{padding:10px}
      #headline th{white-space:normal;overflow-wrap:normal;width:auto;padding-right:8px}}
      """;

  private final JsonNode s;
  private final List<ClassFigures> classes;
  private final Html h = new Html();
  private final Cells cells;

  private Report(JsonNode summary, List<ClassFigures> classes) {
    this.s = summary;
    this.cells = new Cells(h, summary);
    this.classes = classes;
  }

  /**
   * The page of {@code summary} (a parsed {@code summary.json}), with the worst classes of
   * {@code classes} (null without {@code --per-class}).
   */
  public static String html(JsonNode summary, List<ClassFigures> classes) {
    return new Report(summary, classes).page();
  }

  private String page() {
    String path = s.at("/input/path").asText("");
    h.doctype().open("html", "lang", "en").open("head").open("meta", "charset", "utf-8")
        .open("meta", "name", "viewport", "content", "width=device-width, initial-scale=1")
        .open("meta", "name", "color-scheme", "content", "light dark")
        .element("title", "stablesoftmax evaluate " + path)
        .open("style").css(CSS).close("style").close("head").newline();
    h.open("body").open("main").open("header").element("h1", "stablesoftmax evaluate")
        .element("p", path, "class", "path").close("header").newline();
    h.open("div", "class", "grid");
    headline();
    reliability();
    confidence();
    loss();
    incidents();
    worstClasses();
    settings();
    h.close("div");
    h.element("footer", "Written by stablesoftmax " + s.at("/versions/stablesoftmax").asText()
        + " beside summary.json, from the same figures. One file: no script, no network.");
    h.close("main").close("body").close("html").newline();
    return h.toString();
  }

  // ------------------------------------------------------------------ headline

  private void headline() {
    h.open("section", "class", "card", "id", "headline").element("h2", "Headline");
    h.open("table").open("tbody");
    row("rows", () -> {
      count("/rows/total");
      h.text(" (");
      count("/rows/evaluated");
      h.text(" evaluated, ");
      count("/rows/skipped");
      h.text(" skipped)");
    });
    for (Iterator<String> it = s.at("/rows/skipped_by_reason").fieldNames(); it.hasNext(); ) {
      String reason = it.next();
      subRow(reason, () -> count("/rows/skipped_by_reason/" + reason));
    }
    if (s.at("/loss").isObject()) {
      row("mean loss", () -> {
        figure("/loss/mean");
        ci("/loss/mean_ci");
        if (s.at("/loss/non_finite").asLong() > 0) {
          h.open("span", "class", "note").text(" (");
          count("/loss/non_finite");
          h.text(" non-finite losses left out)").close("span");
        }
      });
      row("perplexity", () -> {
        figure("/loss/perplexity");
        ci("/loss/perplexity_ci");
      });
      if (s.has("groups")) {
        row("groups", () -> count("/groups/count"));
        subRow("mean loss / perplexity", () -> {
          figure("/groups/mean_loss");
          h.text(" / ");
          figure("/groups/mean_perplexity");
        });
      }
      row("accuracy", () -> {
        figure("/metrics/accuracy");
        ci("/metrics/accuracy_ci");
      });
      row("top-" + s.at("/metrics/top_k").asInt() + " accuracy", () -> {
        figure("/metrics/top_k_accuracy");
        ci("/metrics/top_k_accuracy_ci");
      });
      if (s.has("per_class")) {
        row("macro P / R / F1", () -> {
          figure("/per_class/macro/precision");
          h.text(" / ");
          figure("/per_class/macro/recall");
          h.text(" / ");
          figure("/per_class/macro/f1");
        });
      }
      row("Brier score", () -> {
        figure("/metrics/brier");
        ci("/metrics/brier_ci");
      });
      row("ECE (" + s.at("/metrics/calibration_bins").asInt() + " bins)", () -> {
        figure("/metrics/ece");
        ci("/metrics/ece_ci");
      });
      row("MCE / RMSCE", () -> {
        figure("/metrics/mce");
        h.text(" / ");
        figure("/metrics/rmsce");
      });
      row("adaptive ECE", () -> figure("/metrics/adaptive_ece"));
      if (s.at("/metrics/classwise_ece").isNumber()) {
        row("classwise ECE", () -> figure("/metrics/classwise_ece"));
      }
    }
    row("mean entropy", () -> {
      figure("/metrics/mean_entropy");
      h.text(" nats");
    });
    row("naive " + s.at("/incidents/naive_dtype").asText() + " fails on", () -> {
      count("/incidents/naive_failure_rows");
      h.text(" rows");
    });
    row("rows with incidents", () -> {
      count("/incidents/rows");
      h.text(" (");
      percent("/incidents/rate");
      h.text(")");
    });
    row("time", () -> {
      metric("/timing/evaluate_seconds", String.format(Locale.ROOT, "%.2f",
          s.at("/timing/evaluate_seconds").doubleValue()));
      h.text(" s");
      if (s.has("bootstrap")) {
        h.text(" + bootstrap of ");
        count("/bootstrap/replicates");
        h.text(" replicates, seed ");
        count("/bootstrap/seed");
      }
    });
    h.close("tbody").close("table").close("section").newline();
  }

  private void row(String name, Runnable value) {
    cells.row(name, value);
  }

  private void subRow(String name, Runnable value) {
    cells.subRow(name, value);
  }

  /** A figure of summary.json as the table prints it ({@code n/a} for null). */
  private void figure(String pointer) {
    JsonNode v = s.at(pointer);
    String text = v.isNumber() ? Figures.compact(v.doubleValue()) : "n/a";
    if (pointer.equals("/loss/perplexity") && v.isNull() && s.at("/loss/mean").isNumber()) {
      text = "inf"; // exp of a finite mean loss that overflows
    }
    metric(pointer, text);
  }

  private void count(String pointer) {
    cells.count(pointer);
  }

  private void percent(String pointer) {
    JsonNode v = s.at(pointer);
    metric(pointer, v.isNumber() ? String.format(Locale.ROOT, "%.3f%%", 100 * v.doubleValue())
        : "n/a");
  }

  /** A 95% interval: "95% CI [low, high]"; nothing where summary.json has none. */
  private void ci(String pointer) {
    cells.ci(pointer, "  95% CI [");
  }

  private void metric(String pointer, String text) {
    cells.metric(pointer, text);
  }

  // ------------------------------------------------------------------ calibration

  private static List<Charts.Bin> bins(JsonNode table) {
    List<Charts.Bin> out = new ArrayList<>();
    for (JsonNode b : table) {
      JsonNode ci = b.get("accuracy_ci");
      boolean hasCi = ci != null && ci.isArray();
      out.add(new Charts.Bin(b.get("from").doubleValue(), b.get("to").doubleValue(),
          b.get("rows").longValue(), number(b.get("mean_confidence")), number(b.get("accuracy")),
          hasCi ? ci.get(0).doubleValue() : Double.NaN,
          hasCi ? ci.get(1).doubleValue() : Double.NaN));
    }
    return out;
  }

  private static double number(JsonNode v) {
    return v != null && v.isNumber() ? v.doubleValue() : Double.NaN;
  }

  private void reliability() {
    JsonNode t = s.at("/calibration/temperature");
    JsonNode after = t.path("calibration_after");
    // before and after side by side take the page's width
    h.open("section", "class", after.isArray() ? "card wide" : "card", "id", "reliability")
        .element("h2", "Reliability diagram");
    List<Charts.Bin> before = bins(s.at("/metrics/calibration"));
    if (before.stream().allMatch(b -> Double.isNaN(b.accuracy()))) {
      h.element("p", s.at("/loss").isNull() ? "No label (--no-label): no accuracy to draw."
          : "No evaluated row: nothing to draw.", "class", "note").close("section");
      return;
    }
    h.open("div", "class", "pair");
    figureOf(after.isArray() ? "Before temperature scaling (T = 1)"
        : "Equal-width bins of the top probability", "before",
        () -> Charts.reliability(h, "Reliability diagram: accuracy against confidence per bin",
            before));
    if (after.isArray()) {
      List<Charts.Bin> scaled = bins(after);
      figureOf("After temperature scaling (T = " + Figures.compact(t.path("fitted").asDouble(
          Double.NaN)) + ")", "after", () -> Charts.reliability(h,
              "Reliability diagram after temperature scaling", scaled));
    }
    h.close("div");
    h.element("p", "Bars: each bin's accuracy; dots: its mean confidence; whiskers: the"
        + " accuracy's 95% Clopper-Pearson interval; dashed: perfect calibration; under the axis:"
        + " each bin's rows.", "class", "note");
    if (t.isObject()) {
      temperature(t);
    }
    binTable("The bins", before);
    if (after.isArray()) {
      binTable("The bins after temperature scaling", bins(after));
    }
    h.close("section").newline();
  }

  private void figureOf(String caption, String id, Runnable chart) {
    h.open("figure", "id", "reliability-" + id);
    chart.run();
    h.element("figcaption", caption).close("figure");
  }

  private void temperature(JsonNode t) {
    h.element("h3", "Temperature scaling");
    h.open("table").open("tbody");
    row("fitted temperature", () -> figure("/calibration/temperature/fitted"));
    row("iterations", () -> {
      count("/calibration/temperature/iterations");
      h.text(t.path("converged").asBoolean() ? " (converged)" : " (not converged)");
    });
    for (String[] m : new String[][] {{"nll", "mean loss (NLL)"}, {"ece", "ECE"},
        {"brier", "Brier score"}}) {
      row(m[1] + " before / after", () -> {
        figure("/calibration/temperature/" + m[0] + "_before");
        h.text(" / ");
        figure("/calibration/temperature/" + m[0] + "_after");
      });
    }
    h.close("tbody").close("table");
  }

  private void binTable(String title, List<Charts.Bin> bins) {
    h.open("details").element("summary", title + " (" + bins.size() + ")").open("table")
        .open("thead").open("tr");
    for (String c : new String[] {"from", "to", "rows", "mean confidence", "accuracy",
        "95% interval"}) {
      h.element("th", c, "class", "n");
    }
    h.close("tr").close("thead").open("tbody");
    for (Charts.Bin b : bins) {
      h.open("tr");
      for (String c : new String[] {Figures.compact(b.from()), Figures.compact(b.to()),
          Figures.count(b.rows()), Figures.compact(b.meanConfidence()),
          Figures.compact(b.accuracy()), Double.isNaN(b.low()) ? "n/a"
              : Figures.compact(b.low()) + " to " + Figures.compact(b.high())}) {
        h.element("td", c, "class", "n");
      }
      h.close("tr");
    }
    h.close("tbody").close("table").close("details");
  }

  private void confidence() {
    h.open("section", "class", "card", "id", "confidence").element("h2", "Confidence");
    List<Charts.Bin> bins = bins(s.at("/metrics/calibration"));
    if (bins.stream().allMatch(b -> b.rows() == 0)) {
      h.element("p", "No row with a confidence.", "class", "note").close("section");
      return;
    }
    Charts.histogram(h, "Rows per equal-width bin of the top probability", bins,
        "top probability (confidence)");
    h.element("p", "Rows per bin of the top probability, the equal-width bins of the ECE.",
        "class", "note");
    h.close("section").newline();
  }

  // ------------------------------------------------------------------ loss

  private void loss() {
    JsonNode hist = s.at("/loss/histogram");
    if (!hist.isObject()) {
      return;
    }
    h.open("section", "class", "card", "id", "loss").element("h2", "Loss");
    List<Charts.Bar> bars = new ArrayList<>();
    List<String[]> table = new ArrayList<>();
    outside(bars, table, hist, "negative", "<0", "below 0");
    outside(bars, table, hist, "zero", "0", "exactly 0");
    outside(bars, table, hist, "below", "<1e-6", "in (0, 1e-6)");
    bars.add(Charts.Bar.gap(null, 1.5));
    JsonNode edges = hist.get("edges");
    JsonNode rows = hist.get("rows");
    for (int k = 0; k < rows.size(); k++) {
      String range = "[" + Figures.compact(edges.get(k).doubleValue()) + ", "
          + Figures.compact(edges.get(k + 1).doubleValue()) + ")";
      long n = rows.get(k).longValue();
      bars.add(new Charts.Bar(n, range + ": " + Figures.count(n) + " rows", null,
          k % 8 == 0 ? decade(k) : null));
      if (n > 0) {
        table.add(new String[] {range, Figures.count(n)});
      }
    }
    bars.add(Charts.Bar.gap(decade(rows.size()), 1.5));
    outside(bars, table, hist, "above", "\u22651e4", "1e4 or more");
    outside(bars, table, hist, "positive_infinity", "+inf", "+inf");
    outside(bars, table, hist, "negative_infinity", "\u2212inf", "-inf");
    outside(bars, table, hist, "nan", "NaN", "NaN");
    Charts.categories(h, "Rows per log-spaced bin of the loss", bars,
        "loss (nats), quarter-decade bins; rows on a log scale");
    h.element("p", "Every evaluated row's loss in its bin: exact counts, the same whatever the"
        + " partitioning (summary.json's loss.histogram).", "class", "note");
    h.open("details").element("summary", "The bins with rows (" + table.size() + ")")
        .open("table").open("thead").open("tr").element("th", "loss").element("th", "rows",
            "class", "n").close("tr").close("thead").open("tbody");
    for (String[] r : table) {
      h.open("tr").element("td", r[0]).element("td", r[1], "class", "n").close("tr");
    }
    h.close("tbody").close("table").close("details").close("section").newline();
  }

  /** The label of edge {@code k}: 10^(k/4 - 6) for k a multiple of 4. */
  private static String decade(int k) {
    int e = LossHistogram.FIRST_DECADE + k / 4;
    return e >= 0 && e <= 2 ? Long.toString((long) Math.pow(10, e))
        : e == -1 || e == -2 ? (e == -1 ? "0.1" : "0.01") : "1e" + e;
  }

  /**
   * A count apart from the bins, as a wider bar: always for 0 and the two tails below and above
   * the bins (so the axis keeps its shape), and for the rest only when rows fall there.
   */
  private static void outside(List<Charts.Bar> bars, List<String[]> table, JsonNode hist,
      String field, String label, String what) {
    long n = hist.path(field).asLong();
    boolean always = field.equals("zero") || field.equals("below") || field.equals("above")
        || field.equals("positive_infinity") || field.equals("nan");
    if (n > 0 || always) {
      bars.add(new Charts.Bar(n, "loss " + what + ": " + Figures.count(n) + " rows", label, null,
          5));
    }
    if (n > 0) {
      table.add(new String[] {what, Figures.count(n)});
    }
  }

  // ------------------------------------------------------------------ incidents

  private void incidents() {
    h.open("section", "class", "card", "id", "incidents").element("h2", "Incidents");
    List<Charts.Row> rows = new ArrayList<>();
    JsonNode counts = s.at("/incidents/counts");
    for (Iterator<Map.Entry<String, JsonNode>> it = counts.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      long n = e.getValue().asLong();
      if (n > 0) {
        rows.add(new Charts.Row(e.getKey(), n, Figures.count(n), e.getKey() + ": "
            + Figures.count(n) + " rows"));
      }
    }
    if (rows.isEmpty()) {
      h.element("p", "No incidents: no bad row, and the naive "
          + s.at("/incidents/naive_dtype").asText() + " softmax would not have failed on any.",
          "class", "note").close("section");
      return;
    }
    Charts.rows(h, "Rows per incident kind", rows);
    h.open("table").open("thead").open("tr").element("th", "incident")
        .element("th", "rows", "class", "n").element("th", "smallest row ids").close("tr")
        .close("thead").open("tbody");
    for (Charts.Row r : rows) {
      JsonNode ids = s.at("/incidents/examples").path(r.name());
      List<String> shown = new ArrayList<>();
      ids.forEach(id -> shown.add(id.asText()));
      String more = shown.size() < (long) r.value() ? ", \u2026" : "";
      h.open("tr").open("td").element("code", r.name()).close("td")
          .element("td", r.valueText(), "class", "n")
          .element("td", String.join(", ", shown) + more).close("tr");
    }
    h.close("tbody").close("table").close("section").newline();
  }

  // ------------------------------------------------------------------ per class

  private void worstClasses() {
    if (classes == null) {
      return;
    }
    worst("worst-loss", "Worst " + WORST + " classes by mean loss", ClassFigures::meanLoss,
        "mean loss");
    worst("worst-calibration", "Worst " + WORST + " classes by calibration error",
        ClassFigures::calibrationError, "classwise calibration error");
  }

  private void worst(String id, String title, ToDoubleFunction<ClassFigures> value,
      String what) {
    List<ClassFigures> sorted = worst(classes, value);
    h.open("section", "class", "card", "id", id).element("h2", title);
    if (sorted.isEmpty()) {
      h.element("p", "No class has a " + what + ".", "class", "note").close("section");
      return;
    }
    List<Charts.Row> rows = new ArrayList<>();
    for (ClassFigures c : sorted) {
      double v = value.applyAsDouble(c);
      rows.add(new Charts.Row("class " + c.label(), v, Figures.compact(v), "class " + c.label()
          + ": " + what + " " + Figures.compact(v) + ", support " + Figures.count(c.support())
          + ", predicted " + Figures.count(c.predicted())));
    }
    Charts.rows(h, title, rows);
    h.element("p", "Of the " + Figures.count(classes.size()) + " classes that occur as a label or"
        + " a prediction (per_class.parquet has them all).", "class", "note");
    h.close("section").newline();
  }

  /**
   * The {@link #WORST} classes of the largest finite {@code value}, largest first, ties to the
   * smaller class.
   */
  static List<ClassFigures> worst(List<ClassFigures> classes,
      ToDoubleFunction<ClassFigures> value) {
    return classes.stream().filter(c -> Double.isFinite(value.applyAsDouble(c)))
        .sorted(Comparator.comparingDouble(value).reversed()
            .thenComparingInt(ClassFigures::label))
        .limit(WORST).toList();
  }

  // ------------------------------------------------------------------ settings

  private void settings() {
    cells.settings(new String[][] {{"options", "Options"}, {"input", "Input"},
        {"versions", "Versions"}});
  }
}
