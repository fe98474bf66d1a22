package org.stablesoftmax.job;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code scripts/bench.sh transform}: the cases of the transform benchmark that are not
 * {@code stablesoftmax transform} itself, each run by the script in its own JVM through
 * SparkSubmit, as {@code stablesoftmax} is. Not a test.
 *
 * <ul>
 *   <li>{@code copy INPUT OUTPUT}: {@code SELECT id, label, logits} written to Parquet, the read
 *       and write floor;
 *   <li>{@code hof INPUT OUTPUT}: id, label and transform's softmax, loss and prediction written
 *       with Spark SQL higher-order functions ({@link #HOF_QUERY});
 *   <li>{@code check INPUT COPY ARROW UDF HOF}: after the timed runs, the row counts of the outputs
 *       against the input's, the higher-order functions' values against the arrow engine's, and
 *       the arrow and udf engines' part files against each other.
 * </ul>
 *
 * <p>{@code copy} and {@code hof} print {@code write_seconds S}, measured as transform measures
 * its {@code timing.transform_seconds}: from after the input is listed and its schema read to the
 * end of the write.
 */
public final class TransformBenchmark {

  /**
   * The stable softmax, loss and first argmax in higher-order functions: the maximum subtracted
   * before {@code exp}, one {@code aggregate} for the sum, values computed in double and the
   * softmax rounded to float once, as transform gives a float input's. Naive-ish for all that:
   * a plain sum, {@code ln} rather than {@code log1p}, and no care for NaN, null elements or
   * {@code +inf} beyond what SQL does with them.
   */
  static final String HOF_QUERY = "SELECT id, label,"
      + " transform(logits, x -> CAST(exp(x - m) / s AS FLOAT)) AS softmax,"
      + " m + ln(s) - logits[label] AS loss,"
      + " CAST(array_position(logits, m) - 1 AS INT) AS prediction"
      + " FROM (SELECT id, label, logits, m, aggregate(logits, 0D, (acc, x) -> acc + exp(x - m))"
      + " AS s FROM (SELECT id, label, logits, array_max(logits) AS m FROM input))";

  static final String COPY_QUERY = "SELECT id, label, logits FROM input";

  /** The loose tolerances of the higher-order functions against the arrow engine. */
  static final double SOFTMAX_TOLERANCE = 1e-6;
  static final double LOSS_TOLERANCE = 1e-6;

  private TransformBenchmark() {}

  public static void main(String[] args) throws IOException {
    SparkSession spark = SparkSession.builder().appName("bench-transform " + args[0])
        .getOrCreate();
    int code;
    try {
      switch (args[0]) {
        case "copy" -> write(spark, COPY_QUERY, args[1], args[2]);
        case "hof" -> write(spark, HOF_QUERY, args[1], args[2]);
        case "check" -> {
          List<String> failed = check(spark, args[1], args[2], args[3], args[4], args[5]);
          failed.forEach(f -> System.out.println("FAILED: " + f));
          if (!failed.isEmpty()) {
            spark.stop();
            System.exit(1);
          }
        }
        default -> throw new IllegalArgumentException("unknown case " + args[0]);
      }
    } finally {
      spark.stop();
    }
  }

  private static void write(SparkSession spark, String query, String input, String output) {
    System.out.println("query " + query);
    spark.read().parquet(input).createOrReplaceTempView("input");
    long start = System.nanoTime();
    spark.sql(query).write().parquet(output);
    System.out.printf(Locale.ROOT, "write_seconds %.3f%n", (System.nanoTime() - start) / 1e9);
  }

  /** Prints what was checked; returns what failed. */
  private static List<String> check(SparkSession spark, String input, String copy, String arrow,
      String udf, String hof) throws IOException {
    List<String> failed = new ArrayList<>();
    long rows = spark.read().parquet(input).count();
    StringBuilder counts = new StringBuilder(String.format(Locale.ROOT, "input %,d", rows));
    String[][] outputs = {{"copy", copy}, {"arrow", arrow}, {"udf", udf}, {"hof", hof}};
    for (String[] o : outputs) {
      long n = spark.read().parquet(o[1]).count();
      counts.append(String.format(Locale.ROOT, ", %s %,d", o[0], n));
      if (n != rows) {
        failed.add(String.format(Locale.ROOT, "%s wrote %,d rows for %,d", o[0], n, rows));
      }
    }
    System.out.println("- rows: " + counts);

    Dataset<Row> a = spark.read().parquet(arrow);
    Dataset<Row> h = spark.read().parquet(hof);
    if (!sameTypes(a.schema(), h.schema())) {
      failed.add("the higher-order functions' columns " + h.schema().simpleString()
          + " are not the arrow engine's " + a.schema().simpleString());
    }
    a.createOrReplaceTempView("arrow");
    h.createOrReplaceTempView("hof");
    // a row is valid where the arrow engine's softmax is numbers (the design's table: a NaN, a
    // null element, +inf, all -inf, null or empty logits give NaN, null or nothing); a
    // comparison that SQL makes null counts as a disagreement
    Row r = spark.sql(String.format(Locale.ROOT, "SELECT"
        + " count(*), count_if(a_id IS NULL OR h_id IS NULL), count_if(valid),"
        + " max(IF(valid, diff, NULL)),"
        + " count_if(valid AND NOT coalesce(size(a_softmax) = size(h_softmax) AND diff <= %s,"
        + "   false)),"
        + " count_if(valid AND NOT coalesce(a_loss <=> h_loss"
        + "   OR abs(a_loss - h_loss) <= %s * (1 + abs(a_loss)), false)),"
        + " count_if(valid AND NOT (a_prediction <=> h_prediction)),"
        + " count_if(NOT valid AND NOT (a_softmax <=> h_softmax AND a_loss <=> h_loss"
        + "   AND a_prediction <=> h_prediction))"
        + " FROM (SELECT a.id AS a_id, h.id AS h_id, a.softmax AS a_softmax,"
        + "   h.softmax AS h_softmax, a.loss AS a_loss, h.loss AS h_loss,"
        + "   a.prediction AS a_prediction, h.prediction AS h_prediction,"
        + "   coalesce(size(a.softmax) > 0 AND forall(a.softmax, p -> NOT isnan(p)), false)"
        + "     AS valid,"
        + "   aggregate(zip_with(a.softmax, h.softmax,"
        + "     (p, q) -> coalesce(abs(p - q), CAST('Infinity' AS DOUBLE))), 0D,"
        + "     (acc, d) -> greatest(acc, d)) AS diff"
        + "   FROM arrow a FULL OUTER JOIN hof h ON a.id = h.id)",
        SOFTMAX_TOLERANCE, LOSS_TOLERANCE)).first();
    long joined = r.getLong(0);
    long unmatched = r.getLong(1);
    long valid = r.getLong(2);
    double largest = r.isNullAt(3) ? 0 : r.getDouble(3);
    long softmaxOff = r.getLong(4);
    long lossOff = r.getLong(5);
    long predictionOff = r.getLong(6);
    long otherDiffer = r.getLong(7);
    if (joined != rows || unmatched != 0) {
      failed.add(String.format(Locale.ROOT, "joined on id, the arrow engine's and the"
          + " higher-order functions' outputs give %,d rows for %,d, %,d of them unmatched",
          joined, rows, unmatched));
    }
    System.out.printf(Locale.ROOT, "- higher-order functions against the arrow engine, on the"
        + " %,d rows whose arrow softmax is all numbers: largest softmax difference %.2g"
        + " (tolerance %.0e), %,d rows off in softmax, %,d in loss (tolerance %.0e x (1 +"
        + " |loss|)), %,d in"
        + " prediction; the %,d other rows (NaN, null element, +inf, all -inf, null or empty"
        + " logits) differ in %,d (not checked: the higher-order functions give SQL's nulls,"
        + " e.g. for a null element, where transform gives NaN)%n", valid, largest,
        SOFTMAX_TOLERANCE, softmaxOff, lossOff, LOSS_TOLERANCE, predictionOff, joined - valid,
        otherDiffer);
    if (softmaxOff + lossOff + predictionOff != 0) {
      failed.add(String.format(Locale.ROOT, "the higher-order functions disagree with the arrow"
          + " engine on %,d, %,d and %,d valid rows (softmax, loss, prediction)", softmaxOff,
          lossOff, predictionOff));
    }
    sameFiles(Paths.get(arrow), Paths.get(udf), failed);
    return failed;
  }

  /**
   * The engines' part files, paired in name order (part number first), against transform's
   * promise of identical files. Two JVMs' files are equal byte for byte but for the order of each
   * column chunk's encoding list in the footer: parquet-mr collects the encodings in a
   * {@code HashSet} of enum constants, whose order follows their identity hash codes, so it
   * changes from one JVM to the next. Bytes before the footer are compared as they are, the
   * footers as Thrift structures with those lists sorted.
   */
  private static void sameFiles(Path arrow, Path udf, List<String> failed) throws IOException {
    List<Path> a = parts(arrow);
    List<Path> u = parts(udf);
    int identical = 0;
    int reordered = 0;
    for (int i = 0; i < Math.min(a.size(), u.size()); i++) {
      byte[] x = Files.readAllBytes(a.get(i));
      byte[] y = Files.readAllBytes(u.get(i));
      if (Arrays.equals(x, y)) {
        identical++;
      } else if (footerStart(x) == footerStart(y)
          && Arrays.equals(x, 0, footerStart(x), y, 0, footerStart(y))
          && footer(x).equals(footer(y))) {
        reordered++;
      } else {
        failed.add("the arrow and udf engines' part files " + a.get(i).getFileName() + " and "
            + u.get(i).getFileName() + " differ");
      }
    }
    if (a.size() != u.size() || a.isEmpty()) {
      failed.add("the arrow engine wrote " + a.size() + " part files, the udf engine "
          + u.size());
    }
    System.out.printf(Locale.ROOT, "- arrow and udf engines: %d of %d part files identical byte"
        + " for byte, %d more but for the order of the footer's encoding lists (parquet-mr's"
        + " HashSet order, which varies from one JVM to the next); the udf engine wrote %d%n",
        identical, a.size(), reordered, u.size());
  }

  private static List<Path> parts(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted()
          .toList();
    }
  }

  /** Where a Parquet file's footer starts: before its length and the closing magic. */
  private static int footerStart(byte[] file) {
    int length = ByteBuffer.wrap(file, file.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN)
        .getInt();
    return file.length - 8 - length;
  }

  /** The footer, each column chunk's encoding list sorted. */
  private static FileMetaData footer(byte[] file) throws IOException {
    int start = footerStart(file);
    FileMetaData m = Util.readFileMetaData(
        new ByteArrayInputStream(file, start, file.length - 8 - start));
    for (RowGroup g : m.getRow_groups()) {
      for (ColumnChunk c : g.getColumns()) {
        c.getMeta_data().getEncodings().sort(Comparator.comparingInt(Encoding::getValue));
      }
    }
    return m;
  }

  /** The same column names and types, nullability aside. */
  private static boolean sameTypes(StructType x, StructType y) {
    if (x.fields().length != y.fields().length) {
      return false;
    }
    for (int i = 0; i < x.fields().length; i++) {
      StructField f = x.fields()[i];
      StructField g = y.fields()[i];
      if (!f.name().equals(g.name()) || !f.dataType().sameType(g.dataType())) {
        return false;
      }
    }
    return true;
  }
}
