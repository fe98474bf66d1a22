package org.stablesoftmax.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * The table cells of a page drawn from a JSON document ({@code summary.json},
 * {@code compare.json}): rows of a name and a value, and figures that each carry their JSON
 * pointer ({@code data-metric}) and value ({@code data-value}), so a test can check every
 * figure shown against the document.
 */
final class Cells {

  private final Html h;
  private final JsonNode s;

  Cells(Html h, JsonNode s) {
    this.h = h;
    this.s = s;
  }

  /** A table row: {@code name} and the cell {@code value} writes. */
  void row(String name, Runnable value) {
    h.open("tr").element("th", name, "scope", "row").open("td");
    value.run();
    h.close("td").close("tr");
  }

  /** A row under the one before it, its name indented. */
  void subRow(String name, Runnable value) {
    h.open("tr").element("th", name, "scope", "row", "class", "sub").open("td");
    value.run();
    h.close("td").close("tr");
  }

  /** A figure as the table prints it ({@code n/a} for null). */
  void figure(String pointer) {
    JsonNode v = s.at(pointer);
    metric(pointer, v.isNumber() ? Figures.compact(v.doubleValue()) : "n/a");
  }

  /** A count with thousands separators. */
  void count(String pointer) {
    JsonNode v = s.at(pointer);
    metric(pointer, v.isNumber() ? Figures.count(v.longValue()) : "n/a");
  }

  /** A 95% interval after {@code prefix} ("[low, high]"); nothing where the JSON has none. */
  void ci(String pointer, String prefix) {
    JsonNode v = s.at(pointer);
    if (!v.isArray()) {
      return;
    }
    h.open("span", "class", "ci").text(prefix);
    figure(pointer + "/0");
    h.text(", ");
    figure(pointer + "/1");
    h.text("]").close("span");
  }

  /** {@code text} standing for the value at {@code pointer}. */
  void metric(String pointer, String text) {
    JsonNode v = s.at(pointer);
    h.element("span", text, "class", "num", "data-metric", pointer, "data-value",
        v.isNumber() ? (v.isIntegralNumber() ? Long.toString(v.longValue())
            : Double.toString(v.doubleValue())) : "null");
  }

  /**
   * The card of the options, input and versions: per part ({object name, heading}) a table of
   * its fields.
   */
  void settings(String[][] parts) {
    h.open("section", "class", "card wide", "id", "settings")
        .element("h2", "Options and versions");
    h.open("div", "class", "pair");
    for (String[] part : parts) {
      h.open("div").element("h3", part[1]).open("table").open("tbody");
      for (Iterator<Map.Entry<String, JsonNode>> it = s.path(part[0]).fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        h.open("tr").open("th", "scope", "row").element("code", e.getKey()).close("th")
            .element("td", v.isValueNode() ? v.asText() : v.toString()).close("tr");
      }
      h.close("tbody").close("table").close("div");
    }
    h.close("div").close("section").newline();
  }
}
