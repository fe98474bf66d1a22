package org.stablesoftmax.report;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A small writer of well-formed HTML (and of the inline SVG inside it): elements are opened and
 * closed in order, every text and attribute value is escaped, names are checked, and elements
 * without content end in {@code />}, so the page is well-formed XML as well (tests parse it so). It writes no
 * namespace, no URL and nothing the caller did not give, so a page made with it is as
 * self-contained as its content.
 *
 * <p>Attributes are given as name, value pairs; a null value leaves the attribute out. Not
 * thread-safe.
 */
public final class Html {

  private static final Pattern NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9-]*(:[a-zA-Z]+)?");
  /** Elements without content or end tag in HTML. */
  private static final Set<String> VOID = Set.of("meta", "br", "hr",
      "img", "input", "link", "col", "wbr");

  private final StringBuilder out = new StringBuilder();
  private final Deque<String> open = new ArrayDeque<>();

  /**
   * Escapes text for element content or a double- or single-quoted attribute value: {@code &},
   * {@code <}, {@code >}, {@code "} and {@code '} become character references, and so does the
   * colon of {@code ://} (a path such as {@code hdfs://...} shows as it is, but the file holds no
   * URL, not even in text); a character that
   * is not allowed in HTML (a control character other than tab, line feed and carriage return, or
   * an unpaired surrogate) becomes U+FFFD.
   */
  public static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        case ':' -> b.append(s.startsWith("//", i + 1) ? "&#58;" : ":");
        default -> {
          if (Character.isHighSurrogate(c) && i + 1 < s.length()
              && Character.isLowSurrogate(s.charAt(i + 1))) {
            b.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)
              || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c < 0xa0)) {
            b.append('\uFFFD');
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /** Writes the doctype; call first. */
  public Html doctype() {
    out.append("<!DOCTYPE html>\n");
    return this;
  }

  /**
   * Opens {@code tag} with attributes (name, value, name, value, ...); a void element ({@code
   * meta}, {@code br}, ...) is written whole, as {@code <meta .../>}.
   */
  public Html open(String tag, String... attributes) {
    if (VOID.contains(tag)) {
      return empty(tag, attributes);
    }
    startTag(tag, attributes);
    open.push(tag);
    return this;
  }

  /** Closes {@code tag}, which must be the innermost open element. */
  public Html close(String tag) {
    if (open.isEmpty() || !open.peek().equals(tag)) {
      throw new IllegalStateException("cannot close <" + tag + ">: the innermost open element"
          + " is " + (open.isEmpty() ? "none" : "<" + open.peek() + ">"));
    }
    open.pop();
    out.append("</").append(tag).append('>');
    return this;
  }

  /** Writes escaped text. */
  public Html text(String text) {
    out.append(escape(text));
    return this;
  }

  /** Writes {@code <tag attributes>text</tag>}. */
  public Html element(String tag, String text, String... attributes) {
    return open(tag, attributes).text(text).close(tag);
  }

  /** Writes {@code <tag attributes/>}: an element without content (void, or SVG). */
  public Html empty(String tag, String... attributes) {
    startTag(tag, attributes);
    out.setLength(out.length() - 1);
    out.append("/>");
    return this;
  }

  /**
   * Writes CSS as the content of a style element: {@code <} is refused, so the sheet cannot
   * close the element.
   */
  public Html css(String css) {
    if (css.indexOf('<') >= 0) {
      throw new IllegalArgumentException("a style sheet must not hold '<'");
    }
    out.append(css);
    return this;
  }

  /** Writes a line break in the source (for readability only). */
  public Html newline() {
    out.append('\n');
    return this;
  }

  private void startTag(String tag, String... attributes) {
    checkName(tag);
    if (attributes.length % 2 != 0) {
      throw new IllegalArgumentException("attributes come in name, value pairs: "
          + attributes.length + " strings given for <" + tag + ">");
    }
    out.append('<').append(tag);
    for (int i = 0; i < attributes.length; i += 2) {
      String value = attributes[i + 1];
      if (value == null) {
        continue;
      }
      checkName(attributes[i]);
      if (attributes[i].toLowerCase(Locale.ROOT).startsWith("on")) {
        throw new IllegalArgumentException("no event handler attributes: " + attributes[i]);
      }
      out.append(' ').append(attributes[i]).append("=\"").append(escape(value)).append('"');
    }
    out.append('>');
  }

  private static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not an element or attribute name: '" + name + "'");
    }
  }

  /** The document; every element must be closed. */
  @Override
  public String toString() {
    if (!open.isEmpty()) {
      throw new IllegalStateException("unclosed elements: " + open);
    }
    return out.toString();
  }
}
