package org.stablesoftmax.job;

import java.util.List;
import org.stablesoftmax.compare.PairedStats.Kind;
import org.stablesoftmax.report.Figures;

/**
 * {@code compare.html}: one self-contained page (no script, no external resource, no link), the
 * table of both models' metrics and the paired results, and an inline SVG bar chart of each
 * model's metrics; light and dark by the reader's preference.
 */
final class CompareHtml {

  private CompareHtml() {}

  /** The metrics the chart shows side by side (all in [0, 1] or about). */
  private static final CompareSummary.Headline[] CHART = {
      CompareSummary.Headline.ACCURACY, CompareSummary.Headline.TOP_K_ACCURACY,
      CompareSummary.Headline.BRIER, CompareSummary.Headline.ECE};

  static String page(CompareSummary s) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>stablesoftmax compare</title>\n<style>\n")
        .append(":root{color-scheme:light dark;--fg:#1b1b1f;--bg:#fff;--muted:#5f6368;")
        .append("--line:#d0d4da;--a:#3867d6;--b:#e67e22}\n")
        .append("@media (prefers-color-scheme: dark){:root{--fg:#e8eaed;--bg:#16181c;")
        .append("--muted:#9aa0a6;--line:#3c4043;--a:#7aa2f7;--b:#f5a25d}}\n")
        .append("body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);")
        .append("margin:0 auto;padding:1rem;max-width:60rem}\n")
        .append("table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}")
        .append("th,td{padding:.3rem .6rem;border-bottom:1px solid var(--line);text-align:right}")
        .append("th:first-child,td:first-child{text-align:left}")
        .append(".muted{color:var(--muted)}.wrap{overflow-x:auto}")
        .append("svg text{fill:var(--fg);font:12px system-ui,sans-serif}\n")
        .append("</style></head><body>\n<h1>Comparison of two models</h1>\n");
    h.append("<p class=\"muted\">A: ").append(esc(String.valueOf(s.options.get("a"))))
        .append("<br>B: ").append(esc(String.valueOf(s.options.get("b")))).append("</p>\n");

    h.append("<h2>Metrics over the ").append(String.format("%,d", s.stats.count(Kind.COMPARED)))
        .append(" compared pairs</h2>\n<div class=\"wrap\"><table>\n")
        .append("<tr><th>metric</th><th>A</th><th>B</th><th>B &minus; A</th></tr>\n");
    for (CompareSummary.Headline m : CompareSummary.Headline.values()) {
      double a = CompareSummary.value(s.a, m);
      double b = CompareSummary.value(s.b, m);
      double d = m == CompareSummary.Headline.LOSS_MEAN ? s.stats.lossDifferenceMean() : b - a;
      h.append("<tr><td>").append(esc(m.label)).append("</td><td>")
          .append(Figures.compact(a)).append(ci(s.interval(0, m))).append("</td><td>")
          .append(Figures.compact(b)).append(ci(s.interval(1, m))).append("</td><td>")
          .append(Figures.compact(d))
          .append(m == CompareSummary.Headline.LOSS_MEAN ? ci(s.lossDifferenceInterval()) : "")
          .append("</td></tr>\n");
    }
    h.append("</table></div>\n");

    h.append("<h2>Paired results</h2>\n<div class=\"wrap\"><table>\n");
    row(h, "paired mean loss difference (B &minus; A)",
        Figures.compact(s.stats.lossDifferenceMean()) + ci(s.lossDifferenceInterval()));
    row(h, "pairs with both losses finite", String.format("%,d", s.stats.lossPairs()));
    row(h, "McNemar b01 (A right, B wrong)", String.format("%,d", s.stats.aOnlyRight()));
    row(h, "McNemar b10 (A wrong, B right)", String.format("%,d", s.stats.bOnlyRight()));
    row(h, "McNemar exact p-value (two-sided)", esc(s.pValueText()));
    row(h, "ids in either input", String.format("%,d", s.stats.ids()));
    for (Kind k : Kind.values()) {
      List<Long> ids = s.stats.examples(k);
      String e = ids.isEmpty() ? "" : " <span class=\"muted\">e.g. "
          + esc(ids.subList(0, Math.min(5, ids.size())).toString()) + "</span>";
      row(h, esc(k.key.replace('_', ' ')), String.format("%,d", s.stats.count(k)) + e);
    }
    h.append("</table></div>\n");

    h.append("<h2>Metrics, side by side</h2>\n").append(chart(s));
    h.append("<p class=\"muted\">").append(esc(String.valueOf(Summary.versions())))
        .append("</p>\n</body></html>\n");
    return h.toString();
  }

  private static void row(StringBuilder h, String name, String value) {
    h.append("<tr><td>").append(name).append("</td><td>").append(value).append("</td></tr>\n");
  }

  private static String ci(double[] ci) {
    return ci == null ? "" : " <span class=\"muted\">[" + Figures.compact(ci[0]) + ", "
        + Figures.compact(ci[1]) + "]</span>";
  }

  /** Grouped bars: per metric, A's and B's value, on a common scale from 0. */
  static String chart(CompareSummary s) {
    int width = 640;
    int left = 120;
    int bar = 14;
    int group = 2 * bar + 16;
    int height = CHART.length * group + 40;
    double max = 0;
    for (CompareSummary.Headline m : CHART) {
      max = Math.max(max, Math.max(finite(CompareSummary.value(s.a, m)),
          finite(CompareSummary.value(s.b, m))));
    }
    max = max > 0 ? max : 1;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg role=\"img\" aria-label=\"metrics of A and B\" viewBox=\"0 0 ")
        .append(width).append(' ').append(height)
        .append("\" width=\"100%\" style=\"max-width:").append(width).append("px\">\n");
    int y = 10;
    for (CompareSummary.Headline m : CHART) {
      svg.append("<text x=\"0\" y=\"").append(y + bar + 4).append("\">").append(esc(m.label))
          .append("</text>\n");
      for (int side = 0; side < 2; side++) {
        double v = finite(CompareSummary.value(side == 0 ? s.a : s.b, m));
        double w = (width - left - 80) * v / max;
        svg.append("<rect class=\"bar\" x=\"").append(left).append("\" y=\"")
            .append(y + side * bar).append("\" width=\"").append(String.format("%.2f", w))
            .append("\" height=\"").append(bar - 2).append("\" fill=\"var(--")
            .append(side == 0 ? 'a' : 'b').append(")\"><title>").append(side == 0 ? "A" : "B")
            .append(' ').append(esc(m.label)).append(' ').append(Figures.compact(v))
            .append("</title></rect>\n");
        svg.append("<text x=\"").append(String.format("%.2f", left + w + 4)).append("\" y=\"")
            .append(y + side * bar + bar - 3).append("\">").append(side == 0 ? "A " : "B ")
            .append(Figures.compact(v)).append("</text>\n");
      }
      y += group;
    }
    svg.append("<rect x=\"").append(left).append("\" y=\"").append(y + 4)
        .append("\" width=\"10\" height=\"10\" fill=\"var(--a)\"/><text x=\"").append(left + 14)
        .append("\" y=\"").append(y + 13).append("\">A</text><rect x=\"").append(left + 40)
        .append("\" y=\"").append(y + 4).append("\" width=\"10\" height=\"10\" fill=\"var(--b)\"/>")
        .append("<text x=\"").append(left + 54).append("\" y=\"").append(y + 13)
        .append("\">B</text>\n</svg>\n");
    return svg.toString();
  }

  private static double finite(double v) {
    return Double.isFinite(v) && v > 0 ? v : 0;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
