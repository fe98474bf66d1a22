package org.stablesoftmax.kernel;

import java.math.BigDecimal;
import java.util.List;

/** Not a test: prints the worst errors, for development. */
final class AccuracyProbe {
  public static void main(String[] args) {
    int count = Integer.parseInt(args[0]);
    for (SoftmaxKernel k : new SoftmaxKernel[] {new ScalarSoftmaxKernel(), new VectorSoftmaxKernel()}) {
      SoftmaxRow row = new SoftmaxRow(k);
      double wSm = 0, wLs = 0, wCe = 0, wLse = 0, wH = 0;
      String aSm = "", aLs = "", aCe = "", aLse = "", aH = "";
      long t0 = System.nanoTime();
      List<Rows.Case> cases = new java.util.ArrayList<>(Rows.generated(42, count));
      cases.addAll(Rows.crafted());
      long refNs = 0;
      for (Rows.Case c : cases) {
        long r0 = System.nanoTime();
        Reference ref = new Reference(c.x(), c.temperature());
        refNs += System.nanoTime() - r0;
        double[] sm = new double[c.x().length];
        double[] ls = new double[c.x().length];
        row.logSoftmax(c.x(), 0, c.x().length, c.temperature(), ls, 0);
        row.softmax(c.x(), 0, c.x().length, c.temperature(), sm, 0);
        double lse = row.logSumExp();
        double ce = row.crossEntropy(c.label());
        double h = row.entropy();
        double e;
        e = Reference.ulps(ce, ref.crossEntropy(c.label())); if (e > wCe) { wCe = e; aCe = c.toString(); }
        BigDecimal rl = ref.logSumExp();
        double scale = Math.max(Math.abs(rl.doubleValue()), Math.abs(Rows_max(c.x()) / c.temperature()));
        e = Math.abs(new BigDecimal(lse).subtract(rl).doubleValue()) / Math.ulp(scale);
        if (Double.isInfinite(lse) || Double.isInfinite(rl.doubleValue())) e = lse == rl.doubleValue() ? 0 : 1e300;
        if (e > wLse) { wLse = e; aLse = c.toString(); }
        if (c.x().length < 3000) {
          r0 = System.nanoTime();
          e = Reference.ulps(h, ref.entropy()); if (e > wH) { wH = e; aH = c.toString(); }
          refNs += System.nanoTime() - r0;
        }
        for (int i = 0; i < c.x().length; i++) {
          BigDecimal rls = ref.logSoftmax(i);
          if (rls == null) { if (ls[i] != Double.NEGATIVE_INFINITY || sm[i] != 0.0) throw new AssertionError(c + " masked " + i); continue; }
          e = Reference.ulps(ls[i], rls); if (e > wLs) { wLs = e; aLs = c + " i=" + i; }
          if (c.x().length < 3000 || i < 200) {
            r0 = System.nanoTime();
            BigDecimal rsm = ref.softmax(i);
            refNs += System.nanoTime() - r0;
            e = Reference.ulps(sm[i], rsm); if (e > wSm) { wSm = e; aSm = c + " i=" + i + " got " + sm[i] + " want " + rsm.doubleValue(); }
          }
        }
      }
      System.out.printf("%s: softmax %.3f [%s]%n logsoftmax %.3f [%s]%n ce %.3f [%s]%n lse %.3f [%s]%n entropy %.3f [%s]%n time %.1fs (ref %.1fs)%n",
          k.name(), wSm, aSm, wLs, aLs, wCe, aCe, wLse, aLse, wH, aH, (System.nanoTime() - t0) / 1e9, refNs / 1e9);
    }
  }
  static double Rows_max(double[] x) { double m = Double.NEGATIVE_INFINITY; for (double v : x) m = Math.max(m, v); return m; }
}
