package org.stablesoftmax.job;

import org.apache.spark.sql.SparkSession;

/** The job's SparkSession: the master and settings come from spark-submit or spark-defaults. */
final class Spark {

  private Spark() {}

  static SparkSession session(String appName) {
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (System.getProperty("spark.master") == null) {
      // a plain java run (tests, IDE): local mode on every core
      builder.master("local[*]");
    }
    if (SparkSession.getDefaultSession().isEmpty()
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
