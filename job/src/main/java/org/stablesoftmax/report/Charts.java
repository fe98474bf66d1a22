package org.stablesoftmax.report;

import java.util.List;

/**
 * The report's charts, as inline SVG: a reliability diagram, a histogram over [0, 1], a bar chart
 * of categories (log-scaled counts) and horizontal bars. Each is {@link #WIDTH} user units wide
 * and scales to its container; every shape that shows data is a {@code mark} with a tooltip.
 */
public final class Charts {

  /** The width of every chart, in user units. */
  public static final int WIDTH = 480;
  private static final double LEFT = 52;
  private static final double RIGHT = 468;
  private static final double TOP = 12;

  private Charts() {}

  /**
   * A bin over [0, 1]: its edges, rows, mean confidence, accuracy and the accuracy's interval
   * (NaN where undefined, e.g. an empty bin or no label).
   */
  public record Bin(double from, double to, long rows, double meanConfidence, double accuracy,
      double low, double high) {}

  /**
   * A bar of {@link #categories}: its count, tooltip, a label under its middle (or null) and a
   * label at its left edge (or null), and its width in units (a bin 1, a category wider); a
   * {@link #gap} is a slot without a bar.
   */
  public record Bar(long value, String title, String label, String edgeLabel, double width) {
    /** A bar one unit wide. */
    public Bar(long value, String title, String label, String edgeLabel) {
      this(value, title, label, edgeLabel, 1);
    }

    /** An empty slot of {@code width} units, with a label at its left edge (or null). */
    public static Bar gap(String edgeLabel, double width) {
      return new Bar(-1, null, null, edgeLabel, width);
    }
  }

  /** A row of {@link #rows}: its name, value (at least 0), the value as printed, and tooltip. */
  public record Row(String name, double value, String valueText, String title) {}

  /**
   * A reliability diagram: per bin with rows a bar of its accuracy, a dot at its mean confidence
   * and accuracy, and a whisker of the accuracy's interval; the diagonal of perfect calibration;
   * each bin's row count under the axis (up to 40 bins).
   */
  public static void reliability(Html h, String label, List<Bin> bins) {
    double bottom = 312;
    Svg s = new Svg(h, WIDTH, 380, label, "chart reliability");
    unitAxes(s, bottom, true);
    s.line(x(0), y(0, bottom), x(1), y(1, bottom), "ref");
    for (Bin b : bins) {
      if (b.rows() == 0 || Double.isNaN(b.accuracy())) {
        continue;
      }
      String what = "[" + Figures.compact(b.from()) + ", " + Figures.compact(b.to()) + "): "
          + Figures.count(b.rows()) + " rows, accuracy " + Figures.compact(b.accuracy())
          + ", mean confidence " + Figures.compact(b.meanConfidence());
      double x0 = x(b.from());
      double x1 = x(b.to());
      binBar(s, b, y(b.accuracy(), bottom), bottom, what);
      if (!Double.isNaN(b.low())) {
        double xm = (x0 + x1) / 2;
        String ci = "95% Clopper-Pearson interval [" + Figures.compact(b.low()) + ", "
            + Figures.compact(b.high()) + "] of " + Figures.count(b.rows()) + " rows";
        s.markLine(xm, y(b.low(), bottom), xm, y(b.high(), bottom), "band", ci);
        double cap = Math.min(4, (x1 - x0) / 3);
        s.line(xm - cap, y(b.low(), bottom), xm + cap, y(b.low(), bottom), "band");
        s.line(xm - cap, y(b.high(), bottom), xm + cap, y(b.high(), bottom), "band");
      }
      s.markCircle(x(b.meanConfidence()), y(b.accuracy(), bottom), 3, "point", what);
    }
    s.text(LEFT - 6, bottom + 50, "end", "tick", "rows");
    if (bins.size() <= 40) {
      for (Bin b : bins) {
        double xm = (x(b.from()) + x(b.to())) / 2;
        if (bins.size() <= 16) {
          s.text(xm, bottom + 50, "middle", "count", Figures.shortCount(b.rows()));
        } else {
          s.turnedText(xm + 3, bottom + 66, -90, "start", "count", Figures.shortCount(b.rows()));
        }
      }
    }
    s.text((LEFT + RIGHT) / 2, bottom + 32, "middle", "title", "confidence");
    s.turnedText(14, (TOP + bottom) / 2, -90, "middle", "title", "accuracy");
    s.close();
  }

  /** A histogram of the bins' rows over [0, 1], on a linear scale. */
  public static void histogram(Html h, String label, List<Bin> bins, String xTitle) {
    double bottom = 232;
    Svg s = new Svg(h, WIDTH, 280, label, "chart histogram");
    long max = 1;
    for (Bin b : bins) {
      max = Math.max(max, b.rows());
    }
    countAxis(s, bottom, max, false);
    unitAxes(s, bottom, false);
    for (Bin b : bins) {
      if (b.rows() == 0) {
        continue;
      }
      binBar(s, b, bottom - (bottom - TOP) * b.rows() / max, bottom, "["
          + Figures.compact(b.from()) + ", " + Figures.compact(b.to()) + "): "
          + Figures.count(b.rows()) + " rows");
    }
    s.text((LEFT + RIGHT) / 2, bottom + 34, "middle", "title", xTitle);
    s.close();
  }

  /**
   * Bars of counts side by side, on a log scale (log10(1 + n), so a single row shows), with
   * labels under the bars and at their edges.
   */
  public static void categories(Html h, String label, List<Bar> bars, String xTitle) {
    double bottom = 212;
    Svg s = new Svg(h, WIDTH, 276, label, "chart categories");
    long max = 1;
    for (Bar b : bars) {
      max = Math.max(max, b.value());
    }
    countAxis(s, bottom, max, true);
    s.line(LEFT, bottom, RIGHT, bottom, "axis");
    double units = 0;
    for (Bar b : bars) {
      units += b.width();
    }
    double unit = (RIGHT - LEFT) / units;
    double scale = (bottom - TOP) / Math.log10(1 + max);
    double x0 = LEFT;
    for (Bar b : bars) {
      double slot = unit * b.width();
      if (b.edgeLabel() != null) {
        s.line(x0, bottom, x0, bottom + 4, "axis");
        s.text(x0, bottom + 16, "middle", "tick", b.edgeLabel());
      }
      if (b.label() != null) {
        s.text(x0 + slot / 2, bottom + 32, "middle", "tick small", b.label());
      }
      if (b.value() > 0) {
        double height = scale * Math.log10(1 + b.value());
        double gap = Math.min(unit * 0.15, 1.5);
        s.markRect(x0 + gap, bottom - height, slot - 2 * gap, height, "bar", b.title());
      }
      x0 += slot;
    }
    s.text((LEFT + RIGHT) / 2, bottom + 52, "middle", "title", xTitle);
    s.close();
  }

  /** Horizontal bars, one per row, named on the left, each value printed at its bar's end. */
  public static void rows(Html h, String label, List<Row> rows) {
    double step = 24;
    double nameEnd = 182;
    double barEnd = 400;
    Svg s = new Svg(h, WIDTH, (int) Math.ceil(step * rows.size() + 12), label, "chart rows");
    double max = 0;
    for (Row r : rows) {
      max = Math.max(max, r.value());
    }
    s.line(nameEnd + 4, 4, nameEnd + 4, step * rows.size() + 6, "axis");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      double y = 6 + i * step;
      s.text(nameEnd, y + 15, "end", "name", r.name());
      double w = max > 0 ? (barEnd - nameEnd - 4) * r.value() / max : 0;
      if (r.value() > 0) {
        s.markRect(nameEnd + 4, y + 3, Math.max(w, 1), step - 6, "bar", r.title());
      }
      s.text(nameEnd + 8 + w, y + 15, "start", "value", r.valueText());
    }
    s.close();
  }

  /** A bin's bar from {@code top} down to {@code bottom}, a little narrower than the bin. */
  private static void binBar(Svg s, Bin b, double top, double bottom, String title) {
    double x0 = x(b.from());
    double x1 = x(b.to());
    double inset = Math.min(1, (x1 - x0) / 4);
    s.markRect(x0 + inset, top, x1 - x0 - 2 * inset, bottom - top, "bar", title);
  }

  private static double x(double v) {
    return LEFT + (RIGHT - LEFT) * v;
  }

  private static double y(double v, double bottom) {
    return bottom - (bottom - TOP) * v;
  }

  /** The [0, 1] x axis (and, for {@code withY}, the [0, 1] y axis) with ticks every 0.2. */
  private static void unitAxes(Svg s, double bottom, boolean withY) {
    s.line(LEFT, bottom, RIGHT, bottom, "axis");
    if (withY) {
      s.line(LEFT, bottom, LEFT, TOP, "axis");
    }
    for (int t = 0; t <= 5; t++) {
      double v = t / 5.0;
      String text = t == 0 ? "0" : t == 5 ? "1" : "0." + 2 * t;
      s.line(x(v), bottom, x(v), bottom + 4, "axis");
      s.text(x(v), bottom + 16, "middle", "tick", text);
      if (withY) {
        if (t > 0) {
          s.line(LEFT, y(v, bottom), RIGHT, y(v, bottom), "grid");
        }
        s.text(LEFT - 6, y(v, bottom) + 4, "end", "tick", text);
      }
    }
  }

  /**
   * The y axis of counts up to {@code max}: on a linear scale ticks at 0, max / 2 and max; on
   * the log scale at 0 and the powers of ten up to max.
   */
  private static void countAxis(Svg s, double bottom, long max, boolean log) {
    s.line(LEFT, bottom, LEFT, TOP, "axis");
    s.text(LEFT - 6, bottom + 4, "end", "tick", "0");
    if (log) {
      double scale = (bottom - TOP) / Math.log10(1 + max);
      for (long p = 1; p <= max && p > 0; p *= 10) {
        double y = bottom - scale * Math.log10(1 + p);
        s.line(LEFT, y, RIGHT, y, "grid");
        s.text(LEFT - 6, y + 4, "end", "tick", Figures.shortCount(p));
      }
    } else {
      for (long v : new long[] {max / 2, max}) {
        if (v > 0) {
          double y = bottom - (bottom - TOP) * v / max;
          s.line(LEFT, y, RIGHT, y, "grid");
          s.text(LEFT - 6, y + 4, "end", "tick", Figures.shortCount(v));
        }
      }
    }
  }
}
