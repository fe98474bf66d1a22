package org.stablesoftmax.report;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Inline SVG shapes written through an {@link Html} writer: a root scaled by its viewBox (it
 * fills its container's width, whatever the screen), and rectangles, lines, circles and text in
 * its coordinates. Marks (the shapes that show data) carry the class {@code mark} and a title
 * (the browser's tooltip); styling is left to the page's CSS classes, so light and dark themes
 * apply. No namespace attribute: HTML5 puts inline {@code <svg>} in the SVG namespace itself.
 */
public final class Svg {

  private final Html h;

  /** Opens an {@code <svg>} of {@code width} × {@code height} user units, labelled for readers. */
  public Svg(Html h, int width, int height, String label, String cssClass) {
    this.h = h;
    h.open("svg", "viewBox", "0 0 " + width + " " + height, "class", cssClass, "role", "img",
        "aria-label", label, "preserveAspectRatio", "xMidYMid meet");
  }

  /**
   * A coordinate as SVG reads it: at most two decimals, no exponent, no trailing zeros.
   *
   * @throws IllegalArgumentException for NaN or an infinity (a bug in the caller's scale)
   */
  public static String num(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("not a finite coordinate: " + v);
    }
    BigDecimal d = new BigDecimal(v).setScale(2, RoundingMode.HALF_EVEN).stripTrailingZeros();
    return d.signum() == 0 ? "0" : d.toPlainString();
  }

  /** A data mark: a rectangle with a tooltip. */
  public Svg markRect(double x, double y, double w, double height, String cssClass,
      String title) {
    h.open("rect", "x", num(x), "y", num(y), "width", num(Math.max(w, 0)), "height",
        num(Math.max(height, 0)), "class", "mark " + cssClass);
    h.element("title", title).close("rect");
    return this;
  }

  /** A data mark: a circle with a tooltip. */
  public Svg markCircle(double cx, double cy, double r, String cssClass, String title) {
    h.open("circle", "cx", num(cx), "cy", num(cy), "r", num(r), "class", "mark " + cssClass);
    h.element("title", title).close("circle");
    return this;
  }

  /** A data mark: a line (a whisker) with a tooltip. */
  public Svg markLine(double x1, double y1, double x2, double y2, String cssClass,
      String title) {
    h.open("line", "x1", num(x1), "y1", num(y1), "x2", num(x2), "y2", num(y2), "class",
        "mark " + cssClass);
    h.element("title", title).close("line");
    return this;
  }

  /** A line that is not data (an axis, a grid line, a reference). */
  public Svg line(double x1, double y1, double x2, double y2, String cssClass) {
    h.empty("line", "x1", num(x1), "y1", num(y1), "x2", num(x2), "y2", num(y2), "class",
        cssClass);
    return this;
  }

  /** Text at (x, y), anchored {@code start}, {@code middle} or {@code end}. */
  public Svg text(double x, double y, String anchor, String cssClass, String text) {
    h.element("text", text, "x", num(x), "y", num(y), "text-anchor", anchor, "class", cssClass);
    return this;
  }

  /** Text at (x, y) turned by {@code degrees} about that point. */
  public Svg turnedText(double x, double y, int degrees, String anchor, String cssClass,
      String text) {
    h.element("text", text, "x", num(x), "y", num(y), "text-anchor", anchor, "class", cssClass,
        "transform", "rotate(" + degrees + " " + num(x) + " " + num(y) + ")");
    return this;
  }

  /** Closes the {@code <svg>}. */
  public void close() {
    h.close("svg");
  }
}
