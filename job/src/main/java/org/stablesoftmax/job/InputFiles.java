package org.stablesoftmax.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The input's Parquet files: the path, directory or glob listed as Spark lists it (files and
 * directories whose names start with {@code _} or {@code .} are skipped), and every file's
 * footer read (on the driver, or in parallel on the cluster when there are more files than
 * {@code spark.sql.sources.parallelPartitionDiscovery.threshold}, as Spark lists them), so that a
 * truncated or foreign file is found before the evaluation starts and named.
 */
final class InputFiles {

  /**
   * What a file's footer says (its rows, logits values, and its Spark schema as JSON: the one it
   * was written with, if Spark wrote it, else its Parquet schema as Spark reads it), or why it
   * could not be read.
   */
  record Footer(String path, long rows, long logitsValues, String sparkSchema, String error)
      implements Serializable {
    boolean readable() {
      return error == null;
    }

    Footer unreadable(String why) {
      return new Footer(path, rows, logitsValues, sparkSchema, why);
    }

    StructType schema() {
      return (StructType) DataType.fromJson(sparkSchema);
    }
  }

  /** Where Spark's Parquet writer keeps the schema it wrote (ParquetReadSupport's key). */
  private static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";

  final String input;
  /** Whether the input is one directory (its partition directories are read as columns). */
  final boolean isDirectory;
  /** What the input names: the path, or what the glob matches. */
  final List<String> roots = new ArrayList<>();
  final List<Footer> readable = new ArrayList<>();
  final List<Footer> unreadable = new ArrayList<>();

  private InputFiles(String input, boolean isDirectory) {
    this.input = input;
    this.isDirectory = isDirectory;
  }

  /** The same input with {@code file}, a readable file, moved to the unreadable ones. */
  InputFiles without(Footer file, String why) {
    InputFiles rest = new InputFiles(input, isDirectory);
    rest.roots.addAll(roots);
    for (Footer f : readable) {
      if (f.equals(file)) {
        rest.unreadable.add(f.unreadable(why));
      } else {
        rest.readable.add(f);
      }
    }
    rest.unreadable.addAll(0, unreadable);
    return rest;
  }

  /** The paths the command reads: the roots and every file listed. */
  List<String> paths() {
    List<String> all = new ArrayList<>(roots);
    readable.forEach(f -> all.add(f.path()));
    unreadable.forEach(f -> all.add(f.path()));
    return all;
  }

  /**
   * Lists and checks the input's files.
   *
   * @param logitsColumn the column whose value count estimates the row width
   */
  static InputFiles check(SparkSession spark, String input, String logitsColumn) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> paths = new ArrayList<>();
    List<String> roots = new ArrayList<>();
    boolean isDirectory;
    try {
      Path path = new Path(input);
      FileSystem fs = path.getFileSystem(conf);
      FileStatus[] matches = fs.globStatus(path);
      if (matches == null || matches.length == 0) {
        throw new UserError("The input path " + input + " does not exist.");
      }
      isDirectory = matches.length == 1 && matches[0].isDirectory();
      for (FileStatus m : matches) {
        roots.add(m.getPath().toString());
        if (m.isDirectory()) {
          listDataFiles(fs, m.getPath(), paths);
        } else if (!hidden(m.getPath().getName())) {
          paths.add(m.getPath().toString());
        }
      }
    } catch (FileNotFoundException e) {
      throw new UserError("The input path " + input + " does not exist.", e);
    } catch (IOException | IllegalArgumentException e) {
      throw new UserError("Cannot list the input path " + input + ": " + e.getMessage(), e);
    }
    if (paths.isEmpty()) {
      throw new UserError("The input path " + input + " holds no data files.");
    }
    InputFiles files = new InputFiles(input, isDirectory);
    files.roots.addAll(roots);
    List<Footer> footers = new ArrayList<>();
    // as Spark lists files: on the cluster only when there are many
    if (paths.size() <= spark.sessionState().conf().parallelPartitionDiscoveryThreshold()) {
      for (String p : paths) {
        footers.add(footer(p, logitsColumn, conf));
      }
    } else {
      SerializableConfiguration shared = new SerializableConfiguration(conf);
      int slices = Math.min(paths.size(), 4 * spark.sparkContext().defaultParallelism());
      footers = JavaSparkContext.fromSparkContext(spark.sparkContext())
          .parallelize(paths, slices)
          .map(p -> footer(p, logitsColumn, shared.value()))
          .collect();
    }
    for (Footer f : footers) {
      (f.readable() ? files.readable : files.unreadable).add(f);
    }
    return files;
  }

  private static boolean hidden(String name) {
    return name.startsWith("_") || name.startsWith(".");
  }

  private static void listDataFiles(FileSystem fs, Path dir, List<String> out) throws IOException {
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      // a hidden file, or one inside a hidden directory below dir
      boolean skip = false;
      for (Path q = p; q != null && !q.equals(dir); q = q.getParent()) {
        skip |= hidden(q.getName());
      }
      if (!skip) {
        out.add(p.toString());
      }
    }
  }

  private static Footer footer(String path, String logitsColumn, Configuration conf) {
    try (ParquetFileReader reader = ParquetFileReader.open(
        HadoopInputFile.fromPath(new Path(path), conf))) {
      long rows = 0;
      long values = 0;
      for (BlockMetaData block : reader.getFooter().getBlocks()) {
        rows += block.getRowCount();
        for (ColumnChunkMetaData c : block.getColumns()) {
          if (c.getPath().toArray().length > 0 && c.getPath().toArray()[0].equals(logitsColumn)) {
            values += c.getValueCount();
          }
        }
      }
      String schema = reader.getFooter().getFileMetaData().getKeyValueMetaData()
          .get(SPARK_SCHEMA_KEY);
      if (schema == null) {
        // not written by Spark: the Parquet schema, as Spark's reader sees it
        schema = new ParquetToSparkSchemaConverter(conf)
            .convert(reader.getFooter().getFileMetaData().getSchema()).json();
      }
      return new Footer(path, rows, values, schema, null);
    } catch (IOException | RuntimeException e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new Footer(path, 0, 0, null, message.lines().findFirst().orElse(message));
    }
  }

  /**
   * The Spark schema (as JSON) of every one of {@code files}, or null if they differ or a
   * directory looks like a partition ({@code key=value}, whose column Spark adds): Spark then
   * infers it.
   */
  static String sparkSchema(List<Footer> files) {
    String schema = files.isEmpty() ? null : files.get(0).sparkSchema();
    for (Footer f : files) {
      if (schema == null || !schema.equals(f.sparkSchema())
          || f.path().substring(0, f.path().lastIndexOf('/')).contains("=")) {
        return null;
      }
    }
    return schema;
  }

  /** The rows all readable files hold, by their footers. */
  long rows() {
    return readable.stream().mapToLong(Footer::rows).sum();
  }

  /** The mean number of logits values per row (at least 1), by the footers. */
  long valuesPerRow() {
    long rows = rows();
    long values = readable.stream().mapToLong(Footer::logitsValues).sum();
    return rows == 0 ? 1 : Math.max(1, values / rows);
  }

  /** The longest directory prefix ("scheme:/a/b/") common to the readable files. */
  String commonDirectory() {
    String prefix = null;
    for (Footer f : readable) {
      String dir = f.path().substring(0, f.path().lastIndexOf('/') + 1);
      if (prefix == null) {
        prefix = dir;
      } else {
        int n = 0;
        while (n < prefix.length() && n < dir.length() && prefix.charAt(n) == dir.charAt(n)) {
          n++;
        }
        prefix = prefix.substring(0, prefix.lastIndexOf('/', n - 1) + 1);
      }
    }
    return prefix == null ? "" : prefix;
  }
}
