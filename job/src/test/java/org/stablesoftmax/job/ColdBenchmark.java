package org.stablesoftmax.job;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code scripts/bench.sh cold}: the cases of the cold benchmark that are not
 * {@code stablesoftmax evaluate} itself, each run by the script in a fresh JVM of its own. Not a
 * test.
 *
 * <ul>
 *   <li>{@code read INPUT} (through SparkSubmit, as {@code stablesoftmax} runs):
 *       {@code SELECT sum(size(logits))}, the first query of its JVM, then the same query again
 *       (warm). Prints {@code cold_seconds}, {@code cold_schema_seconds} (its {@code spark.read}:
 *       listing the files and reading the schema), {@code warm_seconds} and {@code elements}.
 *   <li>{@code duckdb INPUT THREADS} (a plain JVM, DuckDB's JDBC driver): the stable mean
 *       cross-entropy ({@link #DUCKDB_QUERY}). Prints {@code seconds}, {@code mean_loss},
 *       {@code rows} (the rows it averages over) and {@code elements}.
 * </ul>
 *
 * <p>Each timer starts with the query's first call, after the session or connection is made:
 * the read's covers listing the files and reading their schema, as a user's first query does.
 */
public final class ColdBenchmark {

  /**
   * The stable mean cross-entropy in DuckDB's list functions, over the rows that
   * {@code stablesoftmax evaluate} averages: a label in range, no null element, and a finite loss
   * (a NaN, {@code +inf} or masked label makes it non-finite). In double: the maximum subtracted
   * before {@code exp}, a plain sum and {@code ln}.
   */
  static final String DUCKDB_QUERY = "SELECT avg(loss), count(loss) FROM ("
      + " SELECT m + ln(list_sum(list_transform(logits, lambda x: exp(x::DOUBLE - m))))"
      + "   - logits[label + 1] AS loss"
      + " FROM (SELECT logits, label, list_max(logits)::DOUBLE AS m"
      + "   FROM read_parquet('%s/*.parquet')"
      + "   WHERE label >= 0 AND label < len(logits) AND list_count(logits) = len(logits)))"
      + " WHERE isfinite(loss)";

  /** The elements as Spark's {@code sum(size(logits))} counts them: a null array as -1. */
  static final String DUCKDB_ELEMENTS = "SELECT sum(coalesce(len(logits), -1))"
      + " FROM read_parquet('%s/*.parquet')";

  private ColdBenchmark() {}

  public static void main(String[] args) throws SQLException {
    switch (args[0]) {
      case "read" -> read(args[1]);
      case "duckdb" -> duckdb(args[1], Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException("unknown case " + args[0]);
    }
  }

  private static void read(String input) {
    SparkSession spark = SparkSession.builder().appName("bench-cold read").getOrCreate();
    try {
      for (String when : new String[] {"cold", "warm"}) {
        long start = System.nanoTime();
        Dataset<Row> table = spark.read().parquet(input);
        long listed = System.nanoTime();
        Row r = table.selectExpr("sum(size(logits))").first();
        long end = System.nanoTime();
        System.out.printf(Locale.ROOT, "%s_seconds %.3f%n", when, (end - start) / 1e9);
        System.out.printf(Locale.ROOT, "%s_schema_seconds %.3f%n", when, (listed - start) / 1e9);
        System.out.println("elements " + r.getLong(0));
      }
    } finally {
      spark.stop();
    }
  }

  private static void duckdb(String input, int threads) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute("SET threads = " + threads);
      long start = System.nanoTime();
      try (ResultSet r = s.executeQuery(String.format(Locale.ROOT, DUCKDB_QUERY, input))) {
        r.next();
        double mean = r.getDouble(1);
        long rows = r.getLong(2);
        System.out.printf(Locale.ROOT, "seconds %.3f%n", (System.nanoTime() - start) / 1e9);
        System.out.println("mean_loss " + mean);
        System.out.println("rows " + rows);
      }
      try (ResultSet r = s.executeQuery(String.format(Locale.ROOT, DUCKDB_ELEMENTS, input))) {
        r.next();
        System.out.println("elements " + r.getLong(1));
      }
      System.out.println("query " + String.format(Locale.ROOT, DUCKDB_QUERY, "INPUT"));
    }
  }
}
