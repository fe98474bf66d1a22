package org.stablesoftmax.udf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The README's SQL examples: each sql block followed by a text block with its show(false). */
record ReadmeQueries(String sql, String shown) {

  private static final Pattern EXAMPLE =
      Pattern.compile("```sql\n(.*?)```\\s*```text\n(.*?)```", Pattern.DOTALL);

  static List<ReadmeQueries> read() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    Matcher m = EXAMPLE.matcher(readme);
    List<ReadmeQueries> out = new ArrayList<>();
    while (m.find()) {
      out.add(new ReadmeQueries(m.group(1).strip(), m.group(2).strip()));
    }
    return out;
  }
}
