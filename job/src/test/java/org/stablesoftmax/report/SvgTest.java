package org.stablesoftmax.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Coordinates, the root and marks of the SVG writer; and the figures' formats. */
class SvgTest {

  @Test
  void coordinatesHaveAtMostTwoDecimalsAndNoExponent() {
    assertThat(Svg.num(12)).isEqualTo("12");
    assertThat(Svg.num(0.125)).as("half to even").isEqualTo("0.12");
    assertThat(Svg.num(1.005e-7)).isEqualTo("0");
    assertThat(Svg.num(-0.001)).as("no negative zero").isEqualTo("0");
    assertThat(Svg.num(-3.456)).isEqualTo("-3.46");
    assertThat(Svg.num(1e10)).isEqualTo("10000000000");
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> Svg.num(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void theRootScalesByItsViewBoxWithoutANamespaceAndMarksCarryTitles() {
    Html h = new Html();
    Svg s = new Svg(h, 480, 200, "a <chart>", "chart");
    s.markRect(1, 2, 3, -4, "bar", "3 & 4 rows").line(0, 0, 1, 1, "axis");
    s.close();
    assertThat(h.toString()).isEqualTo("<svg viewBox=\"0 0 480 200\" class=\"chart\" role=\"img\""
        + " aria-label=\"a &lt;chart&gt;\" preserveAspectRatio=\"xMidYMid meet\">"
        + "<rect x=\"1\" y=\"2\" width=\"3\" height=\"0\" class=\"mark bar\">"
        + "<title>3 &amp; 4 rows</title></rect>"
        + "<line x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\" class=\"axis\"/></svg>");
  }

  @Test
  void figuresPrintAsTheTableDoes() {
    assertThat(Figures.compact(13.020172390033183)).isEqualTo("13.020172");
    assertThat(Figures.compact(4.4e300)).isEqualTo("4.4e+300");
    assertThat(Figures.compact(2e-5)).isEqualTo("2e-05");
    assertThat(Figures.compact(Double.NaN)).isEqualTo("n/a");
    assertThat(Figures.compact(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    assertThat(Figures.count(1234567)).isEqualTo("1,234,567");
    long[] n = {0, 999, 1000, 1049, 1050, 99_949, 99_950, 123_456, 999_499, 999_500, 4_500_000,
        Long.MAX_VALUE};
    String[] text = {"0", "999", "1k", "1k", "1.1k", "99.9k", "100k", "123k", "999k", "1M",
        "4.5M", "9.2E"};
    for (int i = 0; i < n.length; i++) {
      assertThat(Figures.shortCount(n[i])).as("%d", n[i]).isEqualTo(text[i]);
    }
  }
}
