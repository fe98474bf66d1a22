package org.stablesoftmax.job;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** Session settings for one command's work, put back as they were when it ends. */
final class SessionSettings implements AutoCloseable {

  private final SparkSession spark;
  private final Map<String, scala.Option<String>> previous = new LinkedHashMap<>();

  SessionSettings(SparkSession spark) {
    this.spark = spark;
  }

  void set(String key, String value) {
    previous.putIfAbsent(key, spark.conf().getOption(key));
    spark.conf().set(key, value);
  }

  @Override
  public void close() {
    previous.forEach((k, v) -> {
      if (v.isDefined()) {
        spark.conf().set(k, v.get());
      } else {
        spark.conf().unset(k);
      }
    });
  }
}
