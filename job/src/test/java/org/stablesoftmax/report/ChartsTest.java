package org.stablesoftmax.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** Each chart draws one mark per datum that has one, where its value puts it. */
class ChartsTest {

  /** The chart parsed as XML (the writer's output is well-formed). */
  static Document parse(String svg) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  static NodeList select(Document d, String xpath) throws Exception {
    return (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, d,
        XPathConstants.NODESET);
  }

  private static final String MARK_RECT = "//rect[contains(@class,'mark')]";

  @Test
  void aReliabilityDiagramHasABarDotAndWhiskerPerBinWithRowsAndEachBinsCount()
      throws Exception {
    List<Charts.Bin> bins = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      long rows = b == 3 ? 0 : 100 + b;
      double acc = rows == 0 ? Double.NaN : b / 10.0;
      bins.add(new Charts.Bin(b / 10.0, (b + 1) / 10.0, rows, b / 10.0 + 0.05, acc,
          rows == 0 ? Double.NaN : acc * 0.9,
          rows == 0 ? Double.NaN : Math.min(1, acc * 1.1 + 0.01)));
    }
    Html h = new Html();
    Charts.reliability(h, "r", bins);
    Document d = parse(h.toString());
    assertThat(select(d, MARK_RECT).getLength()).as("bars").isEqualTo(9);
    assertThat(select(d, "//circle[contains(@class,'mark')]").getLength()).as("dots")
        .isEqualTo(9);
    assertThat(select(d, "//line[contains(@class,'mark')]").getLength()).as("whiskers")
        .isEqualTo(9);
    NodeList counts = select(d, "//text[@class='count']");
    assertThat(counts.getLength()).as("a count per bin, the empty one too").isEqualTo(10);
    assertThat(counts.item(3).getTextContent()).isEqualTo("0");
    assertThat(counts.item(9).getTextContent()).isEqualTo("109");
    // bin 9's bar: accuracy 0.9 of a 300-unit axis from y = 312 up
    NodeList bars = select(d, MARK_RECT);
    assertThat(Double.parseDouble(bars.item(8).getAttributes().getNamedItem("height")
        .getNodeValue())).isEqualTo(270.0);
    assertThat(bars.item(8).getTextContent()).contains("109 rows", "accuracy 0.900000");
  }

  @Test
  void histogramAndCategoryBarsAreAsTallAsTheirCounts() throws Exception {
    Html h = new Html();
    Charts.histogram(h, "h", List.of(new Charts.Bin(0, 0.5, 50, 0, 0, 0, 0),
        new Charts.Bin(0.5, 1, 100, 0, 0, 0, 0)), "x");
    NodeList bars = select(parse(h.toString()), MARK_RECT);
    assertThat(bars.getLength()).isEqualTo(2);
    double half = Double.parseDouble(bars.item(0).getAttributes().getNamedItem("height")
        .getNodeValue());
    double full = Double.parseDouble(bars.item(1).getAttributes().getNamedItem("height")
        .getNodeValue());
    assertThat(full).isEqualTo(220.0);
    assertThat(half).isEqualTo(110.0);

    h = new Html();
    Charts.categories(h, "c", List.of(new Charts.Bar(9, "nine", "a", null),
        Charts.Bar.gap("edge", 2), new Charts.Bar(0, "none", "b", null),
        new Charts.Bar(99, "ninety-nine", null, "e", 3)), "x");
    Document d = parse(h.toString());
    bars = select(d, MARK_RECT);
    assertThat(bars.getLength()).as("no bar for a count of 0 or a gap").isEqualTo(2);
    double h9 = Double.parseDouble(bars.item(0).getAttributes().getNamedItem("height")
        .getNodeValue());
    double h99 = Double.parseDouble(bars.item(1).getAttributes().getNamedItem("height")
        .getNodeValue());
    assertThat(h9 / h99).as("log10(1 + n)").isCloseTo(0.5, within(0.01));
    double w99 = Double.parseDouble(bars.item(1).getAttributes().getNamedItem("width")
        .getNodeValue());
    double w9 = Double.parseDouble(bars.item(0).getAttributes().getNamedItem("width")
        .getNodeValue());
    assertThat(w99 + 3).as("three units wide").isCloseTo(3 * (w9 + 3),
        within(0.05));
  }

  @Test
  void rowsArePrintedAndScaledToTheLargest() throws Exception {
    Html h = new Html();
    Charts.rows(h, "r", List.of(new Charts.Row("NAN_LOGIT", 8, "8", "t"),
        new Charts.Row("NAIVE_OVERFLOW", 400, "400", "t"), new Charts.Row("NONE", 0, "0", "t")));
    Document d = parse(h.toString());
    NodeList bars = select(d, MARK_RECT);
    assertThat(bars.getLength()).isEqualTo(2);
    assertThat(bars.item(1).getAttributes().getNamedItem("width").getNodeValue())
        .isEqualTo("214");
    assertThat(select(d, "//text[@class='name']").item(1).getTextContent())
        .isEqualTo("NAIVE_OVERFLOW");
    assertThat(select(d, "//text[@class='value']").item(0).getTextContent()).isEqualTo("8");
  }
}
