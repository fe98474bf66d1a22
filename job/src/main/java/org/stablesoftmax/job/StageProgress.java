package org.stablesoftmax.job;

import java.io.PrintStream;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;

/**
 * One line on stderr when a stage that read or wrote rows ends: its rows and rows per second
 * (Spark's console progress bar shows the stage while it runs).
 */
final class StageProgress extends SparkListener {

  /** The contexts that have one already (a JVM may run several commands on one context). */
  private static final Set<SparkContext> ATTACHED =
      Collections.newSetFromMap(new WeakHashMap<>());

  private final PrintStream err;

  private StageProgress(PrintStream err) {
    this.err = err;
  }

  /** Adds the listener to the context, once. */
  static synchronized void attach(SparkContext sc) {
    if (ATTACHED.add(sc)) {
      sc.addSparkListener(new StageProgress(System.err));
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    StageInfo info = event.stageInfo();
    if (info.failureReason().isDefined() || info.submissionTime().isEmpty()
        || info.completionTime().isEmpty()) {
      return;
    }
    long read = info.taskMetrics().inputMetrics().recordsRead();
    long written = info.taskMetrics().outputMetrics().recordsWritten();
    long rows = Math.max(read, written);
    if (rows == 0) {
      return;
    }
    double seconds = Math.max(1e-3,
        ((Long) info.completionTime().get() - (Long) info.submissionTime().get()) / 1e3);
    // as Spark's console progress bar clears its line
    err.print("\r" + " ".repeat(80) + "\r");
    err.printf("stage %d done: %,d rows %s in %.1f s (%,.0f rows/s)%n", info.stageId(), rows,
        read >= written ? "read" : "written", seconds, rows / seconds);
  }
}
