package org.stablesoftmax.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The HTML writer: escaping, names, nesting. */
class HtmlTest {

  @Test
  void textAndAttributesAreEscaped() {
    assertThat(Html.escape("a<b>&\"c\"'d'")).isEqualTo("a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    assertThat(Html.escape("tab\tline\ncr\r")).as("kept whitespace").isEqualTo("tab\tline\ncr\r");
    assertThat(Html.escape("nul\u0000bell\u0007c1\u0085")).as("characters HTML forbids")
        .isEqualTo("nul\uFFFDbell\uFFFDc1\uFFFD");
    assertThat(Html.escape("\uD83D\uDE00 lone \uD83D and \uDE00"))
        .as("a pair kept, lone surrogates replaced")
        .isEqualTo("\uD83D\uDE00 lone \uFFFD and \uFFFD");
    assertThat(Html.escape("https://x, hdfs:///y, a:b")).as("no URL, even as text")
        .isEqualTo("https&#58;//x, hdfs&#58;///y, a:b");
    assertThat(Html.escape("&amp;")).as("escaped again, never passed through")
        .isEqualTo("&amp;amp;");

    String page = new Html().open("p", "title", "\"><script>x</script>", "class", null)
        .text("</p><script>alert(1)</script>").close("p").toString();
    assertThat(page).isEqualTo("<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">"
        + "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    assertThat(page).as("a null attribute is left out").doesNotContain("class");
  }

  @Test
  void voidAndEmptyElementsCloseThemselves() {
    assertThat(new Html().open("div").open("meta", "charset", "utf-8").empty("rect", "x", "1")
        .close("div").toString()).isEqualTo("<div><meta charset=\"utf-8\"/><rect x=\"1\"/></div>");
  }

  @Test
  void badNamesHandlersNestingAndStyleSheetsAreRefused() {
    assertThatThrownBy(() -> new Html().open("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Html().open("p", "x=\"1\" y", "2"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Html().open("p", "onclick", "f()"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("onclick");
    assertThatThrownBy(() -> new Html().open("p", "class"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pairs");
    assertThatThrownBy(() -> new Html().open("div").open("p").close("div"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("<p>");
    assertThatThrownBy(() -> new Html().open("div").toString())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("unclosed");
    assertThatThrownBy(() -> new Html().open("style").css("a{}</style><script>"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
