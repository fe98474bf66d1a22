package org.stablesoftmax.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code compare.html}: the page of a comparison, drawn from its {@code compare.json} as
 * {@link Report} draws {@code report.html} from {@code summary.json}, in the same style and with
 * the same writer: one self-contained file, no script, no network. Every figure shown carries
 * its JSON pointer ({@code data-metric}) and value ({@code data-value}).
 */
public final class CompareReport {

  /** The metrics of both models, in the table's order: name, pointer below /a and /b. */
  private static final String[][] METRICS = {
      {"mean loss", "/loss/mean", "/paired/loss_difference/mean"},
      {"perplexity", "/loss/perplexity", "/paired/differences/perplexity"},
      {"accuracy", "/metrics/accuracy", "/paired/differences/accuracy"},
      {"top-k accuracy", "/metrics/top_k_accuracy", "/paired/differences/top_k_accuracy"},
      {"Brier score", "/metrics/brier", "/paired/differences/brier"},
      {"ECE", "/metrics/ece", "/paired/differences/ece"},
      {"MCE", "/metrics/mce", "/paired/differences/mce"},
      {"RMSCE", "/metrics/rmsce", "/paired/differences/rmsce"},
      {"adaptive ECE", "/metrics/adaptive_ece", "/paired/differences/adaptive_ece"},
      {"mean entropy", "/metrics/mean_entropy", "/paired/differences/mean_entropy"}};

  /** The metrics of the bar chart: all of them in [0, 1]. */
  private static final String[][] CHART = {{"accuracy", "/metrics/accuracy"},
      {"top-k accuracy", "/metrics/top_k_accuracy"}, {"Brier score / 2", "/metrics/brier"},
      {"ECE", "/metrics/ece"}};

  private final JsonNode s;
  private final Html h = new Html();
  private final Cells cells;

  private CompareReport(JsonNode compare) {
    this.s = compare;
    this.cells = new Cells(h, compare);
  }

  /** The page of {@code compare} (a parsed {@code compare.json}). */
  public static String html(JsonNode compare) {
    return new CompareReport(compare).page();
  }

  private String page() {
    String a = s.at("/options/a").asText("");
    String b = s.at("/options/b").asText("");
    h.doctype().open("html", "lang", "en").open("head").open("meta", "charset", "utf-8")
        .open("meta", "name", "viewport", "content", "width=device-width, initial-scale=1")
        .open("meta", "name", "color-scheme", "content", "light dark")
        .element("title", "stablesoftmax compare " + a + " with " + b)
        .open("style").css(Report.CSS).close("style").close("head").newline();
    h.open("body").open("main").open("header").element("h1", "stablesoftmax compare")
        .element("p", "A: " + a, "class", "path").element("p", "B: " + b, "class", "path")
        .close("header").newline();
    h.open("div", "class", "grid");
    metrics();
    paired();
    chart();
    ids();
    inputs();
    perClass();
    settings();
    h.close("div");
    h.element("footer", "Written by stablesoftmax " + s.at("/versions/stablesoftmax").asText()
        + " beside compare.json, from the same figures. One file: no script, no network.");
    h.close("main").close("body").close("html").newline();
    return h.toString();
  }

  private void metrics() {
    h.open("section", "class", "card wide", "id", "metrics")
        .element("h2", "Both models over the " + Figures.count(s.at("/paired/pairs").asLong())
            + " compared pairs");
    h.open("table").open("thead").open("tr").element("th", "metric", "scope", "col")
        .element("th", "A", "scope", "col", "class", "n")
        .element("th", "B", "scope", "col", "class", "n")
        .element("th", "B \u2212 A", "scope", "col", "class", "n").close("tr").close("thead");
    h.open("tbody");
    for (String[] m : METRICS) {
      String name = m[0].equals("top-k accuracy")
          ? "top-" + s.at("/a/metrics/top_k").asInt() + " accuracy"
          : m[0].equals("ECE") ? "ECE (" + s.at("/a/metrics/calibration_bins").asInt()
              + " bins)" : m[0];
      h.open("tr").element("th", name, "scope", "row");
      for (String side : new String[] {"/a", "/b"}) {
        h.open("td", "class", "n");
        figure(side + m[1]);
        ci(side + m[1] + "_ci");
        h.close("td");
      }
      h.open("td", "class", "n");
      figure(m[2]);
      if (m[0].equals("mean loss")) {
        ci("/paired/loss_difference/mean_ci");
      }
      h.close("td").close("tr");
    }
    h.close("tbody").close("table");
    h.element("p", "Each model's figures are over the same pairs: both rows evaluated, labels"
        + " equal. The loss difference is the mean of B's loss minus A's over the pairs whose"
        + " losses are both finite.", "class", "note");
    h.close("section").newline();
  }

  private void paired() {
    h.open("section", "class", "card", "id", "paired").element("h2", "Paired results");
    h.open("table").open("tbody");
    row("mean loss B \u2212 A", () -> {
      figure("/paired/loss_difference/mean");
      ci("/paired/loss_difference/mean_ci");
    });
    row("pairs with both losses finite", () -> count("/paired/loss_difference/pairs"));
    row("McNemar b01 (A right, B wrong)", () -> count("/paired/mcnemar/b01"));
    row("McNemar b10 (A wrong, B right)", () -> count("/paired/mcnemar/b10"));
    row("both right / both wrong", () -> {
      count("/paired/mcnemar/both_right");
      h.text(" / ");
      count("/paired/mcnemar/both_wrong");
    });
    row("McNemar exact p-value", () -> {
      JsonNode p = s.at("/paired/mcnemar/p_value");
      if (p.isNumber() && p.doubleValue() >= Double.MIN_NORMAL) {
        metric("/paired/mcnemar/p_value", String.format(Locale.ROOT, "%.4g", p.doubleValue()));
      } else {
        h.text("10^");
        metric("/paired/mcnemar/log10_p_value", String.format(Locale.ROOT, "%.4f",
            s.at("/paired/mcnemar/log10_p_value").doubleValue()));
      }
    });
    if (s.has("bootstrap")) {
      row("bootstrap", () -> {
        count("/bootstrap/replicates");
        h.text(" replicates, seed ");
        count("/bootstrap/seed");
      });
    }
    h.close("tbody").close("table");
    h.element("p", s.at("/paired/mcnemar/method").asText(), "class", "note");
    h.close("section").newline();
  }

  private void chart() {
    h.open("section", "class", "card", "id", "chart").element("h2", "Metrics side by side");
    List<Charts.Row> rows = new ArrayList<>();
    for (String[] m : CHART) {
      for (String side : new String[] {"a", "b"}) {
        JsonNode v = s.at("/" + side + m[1]);
        double value = v.isNumber() ? v.doubleValue() : 0;
        if (m[1].equals("/metrics/brier")) {
          value /= 2; // the multiclass Brier score is in [0, 2]
        }
        String text = v.isNumber() ? Figures.compact(v.doubleValue()) : "n/a";
        String name = m[0].replace("top-k", "top-" + s.at("/a/metrics/top_k").asInt());
        rows.add(new Charts.Row(name + " " + side.toUpperCase(Locale.ROOT),
            Math.max(value, 0), text, side.toUpperCase(Locale.ROOT) + ": " + name + " " + text));
      }
    }
    h.open("figure");
    Charts.rows(h, "accuracy, top-k accuracy, Brier score and ECE of A and B", rows);
    h.element("figcaption", "Each metric of A above B's, on one scale from 0 (the Brier score"
        + " halved, to [0, 1]).");
    h.close("figure").close("section").newline();
  }

  private void ids() {
    h.open("section", "class", "card", "id", "ids").element("h2", "Ids");
    h.open("table").open("tbody");
    row("ids in either input", () -> count("/ids/total"));
    String[][] kinds = {{"compared", "compared"}, {"duplicate_ids", "duplicate ids"},
        {"only_in_a", "only in A"}, {"only_in_b", "only in B"},
        {"not_evaluated", "a row not evaluated"}, {"label_mismatch", "labels differ"}};
    for (String[] k : kinds) {
      subRow(k[1], () -> {
        count("/ids/" + k[0]);
        JsonNode e = s.at("/ids/examples/" + k[0]);
        if (e.isArray() && e.size() > 0) {
          List<String> ids = new ArrayList<>();
          e.forEach(id -> ids.add(id.asText()));
          h.element("span", "  e.g. " + String.join(", ", ids), "class", "note");
        }
      });
    }
    row("rows of duplicate ids in A / B", () -> {
      count("/ids/duplicate_rows_a");
      h.text(" / ");
      count("/ids/duplicate_rows_b");
    });
    row("rows of a null id in A / B", () -> {
      count("/ids/null_id_rows_a");
      h.text(" / ");
      count("/ids/null_id_rows_b");
    });
    h.close("tbody").close("table");
    h.element("p", "A pair is compared only when its id is once in each input, both rows are"
        + " evaluated and their labels agree.", "class", "note");
    h.close("section").newline();
  }

  private void inputs() {
    h.open("section", "class", "card", "id", "inputs").element("h2", "Each input's rows");
    h.open("table").open("tbody");
    for (String side : new String[] {"a", "b"}) {
      String in = "/input_" + side;
      row(side.toUpperCase(Locale.ROOT) + ": rows", () -> {
        count(in + "/rows/total");
        h.text(" (");
        count(in + "/rows/evaluated");
        h.text(" evaluated, ");
        count(in + "/rows/skipped");
        h.text(" skipped)");
      });
      for (Iterator<String> it = s.at(in + "/rows/skipped_by_reason").fieldNames();
          it.hasNext(); ) {
        String reason = it.next();
        subRow(reason, () -> count(in + "/rows/skipped_by_reason/" + reason));
      }
      subRow("rows with incidents", () -> count(in + "/incidents/rows"));
      for (Iterator<Map.Entry<String, JsonNode>> it = s.at(in + "/incidents/counts").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().asLong() > 0) {
          subRow(e.getKey(), () -> count(in + "/incidents/counts/" + e.getKey()));
        }
      }
    }
    h.close("tbody").close("table").close("section").newline();
  }

  private void perClass() {
    if (!s.has("per_class")) {
      return;
    }
    h.open("section", "class", "card", "id", "per-class").element("h2", "Per class");
    h.open("table").open("thead").open("tr").element("th", "average", "scope", "col")
        .element("th", "A", "scope", "col", "class", "n")
        .element("th", "B", "scope", "col", "class", "n")
        .element("th", "B \u2212 A", "scope", "col", "class", "n").close("tr").close("thead")
        .open("tbody");
    for (String avg : new String[] {"macro", "weighted"}) {
      for (String f : new String[] {"precision", "recall", "f1"}) {
        String at = "/per_class/" + avg + "/" + f;
        h.open("tr").element("th", avg + " " + f, "scope", "row");
        for (String part : new String[] {"/a", "/b", "/difference"}) {
          h.open("td", "class", "n");
          figure(at + part);
          h.close("td");
        }
        h.close("tr");
      }
    }
    h.close("tbody").close("table");
    h.element("p", "Each class's figures and differences: compare_per_class.parquet beside"
        + " compare.json.", "class", "note");
    h.close("section").newline();
  }

  private void settings() {
    cells.settings(new String[][] {{"options", "Options"}, {"versions", "Versions"}});
  }

  private void row(String name, Runnable value) {
    cells.row(name, value);
  }

  private void subRow(String name, Runnable value) {
    cells.subRow(name, value);
  }

  private void figure(String pointer) {
    cells.figure(pointer);
  }

  private void count(String pointer) {
    cells.count(pointer);
  }

  /** A 95% interval: " [low, high]"; nothing where compare.json has none. */
  private void ci(String pointer) {
    cells.ci(pointer, " [");
  }

  private void metric(String pointer, String text) {
    cells.metric(pointer, text);
  }
}
