package org.stablesoftmax.job;

import org.stablesoftmax.stats.PartitionStats;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stablesoftmax.arrow.LogitsKind;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.evaluate.EvalSpec;
import org.stablesoftmax.kernel.NaiveDtype;

/**
 * Warms the Arrow engine on every executor as it starts: a daemon thread evaluates a few thousand
 * generated rows of float and double logits ({@link SyntheticLogits}, with extreme and bad rows),
 * so that the JIT compiles the kernel's loops while the driver is still listing the input and
 * checking its footers, rather than during the first tasks. In local mode the executor is the
 * driver's JVM, whose second core is idle then. Results do not depend on it: the kernel gives the
 * same bits interpreted and compiled.
 *
 * <p>A Spark plugin ({@code spark.plugins}), added by the job to its session unless
 * {@link #ENABLED} is false.
 */
public final class Warmup implements SparkPlugin {

  /** The setting that turns the warm-up off (default true). */
  public static final String ENABLED = "spark.stablesoftmax.warmup";

  private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);

  /** Classes and rows of each type's generated rows: enough for C2 to compile the hot loops. */
  private static final int[][] SHAPES = {{128, 3000}, {10, 3000}, {1000, 400}};

  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        Thread t = new Thread(Warmup::run, "stablesoftmax-warmup");
        t.setDaemon(true);
        t.start();
      }
    };
  }

  /** The rows the warm-up evaluates, of both types and every shape. */
  static long rows() {
    long n = 0;
    for (int[] shape : SHAPES) {
      n += shape[1];
    }
    return n * LogitsKind.values().length;
  }

  /**
   * Evaluates the generated rows and logs how long it took; the rows evaluated, or -1 if it failed
   * (logged). Never throws.
   */
  static long run() {
    long start = System.nanoTime();
    long rows = 0;
    try {
      for (LogitsKind kind : LogitsKind.values()) {
        for (int[] shape : SHAPES) {
          EvalSpec spec = new EvalSpec(kind, 1.0, 5, NaiveDtype.FLOAT32, true, false, 0, "",
              8L << 20, LogitsOptions.BATCH_ROWS, PartitionStats.BINS);
          rows += Engine.evaluateRows(rows(kind, shape[0], shape[1]), spec).rows();
        }
      }
      LOG.info(String.format(Locale.ROOT, "stablesoftmax: warmed the kernel on %d rows in %.3f s",
          rows, (System.nanoTime() - start) / 1e9));
      return rows;
    } catch (RuntimeException | LinkageError e) {
      LOG.warn("stablesoftmax: the kernel's warm-up failed (the job is not affected)", e);
      return -1;
    }
  }

  /** Generated rows of the stage's input columns. */
  private static Iterator<InternalRow> rows(LogitsKind kind, int classes, int count) {
    SyntheticLogits gen = new SyntheticLogits(1, classes, 0.05, 0.02);
    UTF8String file = UTF8String.fromString("warmup");
    List<InternalRow> rows = new ArrayList<>(count);
    for (int id = 0; id < count; id++) {
      SyntheticLogits.Row r = gen.row(id);
      Object logits = null;
      if (r.logits() != null) {
        double[] x = r.logits();
        if (kind == LogitsKind.FLOAT) {
          float[] f = new float[x.length];
          for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
          }
          logits = UnsafeArrayData.fromPrimitiveArray(f);
        } else {
          logits = UnsafeArrayData.fromPrimitiveArray(x);
        }
      }
      rows.add(new GenericInternalRow(new Object[] {logits,
          r.label() == null ? null : (long) r.label(), (long) id, file, (long) id}));
    }
    return rows.iterator();
  }
}
