package org.stablesoftmax.job;

import org.apache.spark.sql.SparkSession;

/** The job's SparkSession: the master and settings come from spark-submit or spark-defaults. */
final class Spark {

  private Spark() {}

  /**
   * The session; when it makes a new context and {@code warmKernel} (the kernel will run: either
   * engine's rows go through its loops), its executors warm the kernel as they start
   * ({@link Warmup}).
   */
  static SparkSession session(String appName, boolean warmKernel) {
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (System.getProperty("spark.master") == null) {
      // a plain java run (tests, IDE): local mode on every core
      builder.master("local[*]");
    }
    if (warmKernel && SparkSession.getDefaultSession().isEmpty()
        && !"false".equals(System.getProperty(Warmup.ENABLED))) {
      // a new context: its executors warm the kernel as they start
      String plugins = System.getProperty("spark.plugins", "").trim();
      builder.config("spark.plugins", plugins.isEmpty() ? Warmup.class.getName()
          : plugins + "," + Warmup.class.getName());
    }
    SparkSession spark = builder.getOrCreate();
    StageProgress.attach(spark.sparkContext());
    return spark;
  }
}
