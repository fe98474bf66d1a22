package org.stablesoftmax.job;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.NaiveSoftmax;
import org.stablesoftmax.kernel.StableSoftmax;

/**
 * Prints the naive softmax (float64 and float32) against the stable kernel on the classic rows
 * where the naive one breaks. The default of {@code scripts/run-local.sh} until the evaluate job
 * exists.
 */
public final class KernelDemo {

  private KernelDemo() {}

  /** One demo row. */
  private record Row(double[] logits, int label, double temperature) {}

  private static final Row[] ROWS = {
    new Row(new double[] {1000, 1001, 1002}, 0, 1.0),
    new Row(new double[] {10, 2, 10000, 4}, 0, 1.0),
    new Row(new double[] {1000, 1, -1000}, 2, 1.0),
    new Row(new double[] {38, 20, 40, 39}, 2, 0.001),
    new Row(new double[] {38, 20, 40, 39}, 2, 1.0),
    new Row(new double[] {38, 20, 40, 39}, 2, 100.0),
  };

  public static void main(String[] args) {
    print(System.out);
  }

  static void print(PrintStream out) {
    out.printf("stablesoftmax kernel demo: naive exp(x)/sum(exp(x)) against the stable kernel"
        + " (%s path)%n", StableSoftmax.implementation());
    for (Row row : ROWS) {
      double[] x = row.logits();
      double t = row.temperature();
      out.printf("%nlogits %s, label %d, temperature %s%n",
          Arrays.toString(x), row.label(), format(t, NaiveDtype.FLOAT64));
      String[][] lines = new String[3][];
      NaiveDtype[] naive = {NaiveDtype.FLOAT64, NaiveDtype.FLOAT32};
      for (int j = 0; j < naive.length; j++) {
        lines[j] = new String[] {"naive " + naive[j],
            format(NaiveSoftmax.softmax(x, t, naive[j]), naive[j]),
            format(NaiveSoftmax.logSumExp(x, t, naive[j]), naive[j]),
            format(NaiveSoftmax.crossEntropy(x, 0, x.length, row.label(), t, naive[j]),
                naive[j])};
      }
      lines[2] = new String[] {"stable",
          format(StableSoftmax.softmax(x, t), NaiveDtype.FLOAT64),
          format(StableSoftmax.logSumExp(x, t), NaiveDtype.FLOAT64),
          format(StableSoftmax.crossEntropy(x, row.label(), t), NaiveDtype.FLOAT64)};
      int width = Arrays.stream(lines).mapToInt(l -> l[1].length()).max().getAsInt();
      String layout = "  %-14s %-" + width + "s  %-20s %s%n";
      out.printf(layout, "", "softmax", "logsumexp", "cross-entropy");
      for (String[] line : lines) {
        out.printf(layout, (Object[]) line);
      }
      int incidents = StableSoftmax.incidents(x, row.label(), t, NaiveDtype.FLOAT32);
      out.printf("  incidents (naive float32): %s%n", incidents == 0 ? "none"
          : String.join(", ", IncidentKind.names(incidents)));
    }
  }

  private static String format(double[] values, NaiveDtype dtype) {
    return Arrays.stream(values).mapToObj(v -> format(v, dtype))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** The shortest decimal that reads back to the same value of the dtype. */
  private static String format(double v, NaiveDtype dtype) {
    String s = dtype == NaiveDtype.FLOAT32 ? Float.toString((float) v) : Double.toString(v);
    return s.toLowerCase(Locale.ROOT).replace("infinity", "inf");
  }
}
