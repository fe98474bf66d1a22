package org.stablesoftmax.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The input of a command that reads logits, from its files' check to the rows read: footers that
 * cannot be read are named (or, with {@code --ignore-corrupt-files}, skipped), a file that fails
 * while it is read is named (or skipped whole and the work done again without it), and the rows
 * read must be the rows the footers of the files read promise.
 */
final class CheckedInput {

  private static final Logger LOG = LoggerFactory.getLogger(CheckedInput.class);

  /** Spark's setting that skips the rest of a file that fails to read. */
  static final String SPARK_IGNORES_CORRUPT_FILES = "spark.sql.files.ignoreCorruptFiles";

  /** What the work on the input's tables does; it may fail on a corrupt file. */
  interface Work<T> {
    T run(List<InputTable> tables) throws Exception;
  }

  private final String input;
  private final boolean ignoreCorruptFiles;
  private InputFiles files;

  private CheckedInput(String input, boolean ignoreCorruptFiles, InputFiles files) {
    this.input = input;
    this.ignoreCorruptFiles = ignoreCorruptFiles;
    this.files = files;
  }

  /** Lists the input's files and reads their footers (see {@link InputFiles#check}). */
  static CheckedInput open(SparkSession spark, String input, String logitsCol,
      boolean ignoreCorruptFiles) {
    return new CheckedInput(input, ignoreCorruptFiles,
        InputFiles.check(spark, input, logitsCol));
  }

  /** The files: those read, and those skipped so far. */
  InputFiles files() {
    return files;
  }

  /** Refuses unreadable footers, or, with {@code --ignore-corrupt-files}, skips them. */
  void refuseUnreadableFooters() {
    if (files.unreadable.isEmpty()) {
      return;
    }
    InputFiles.Footer bad = files.unreadable.get(0);
    if (!ignoreCorruptFiles) {
      throw new UserError("The input file " + bad.path() + " is not a readable Parquet file ("
          + bad.error() + ")" + (files.unreadable.size() > 1 ? ", nor are "
          + (files.unreadable.size() - 1) + " more" : "")
          + "; pass --ignore-corrupt-files to skip such files.");
    }
    requireReadable();
  }

  /**
   * Reads the input's tables ({@code tables} of the files) and runs {@code work} on them; when the work fails on a file of the
   * input, names it, or with {@code --ignore-corrupt-files} skips it whole and runs the work
   * again without it.
   */
  <T> T read(Function<InputFiles, List<InputTable>> tables, Work<T> work) throws Exception {
    while (true) {
      List<InputTable> read = tables.apply(files);
      try {
        return work.run(read);
      } catch (Exception e) {
        InputFiles.Footer bad = failedFile(e);
        if (bad == null) {
          throw e;
        }
        if (!ignoreCorruptFiles) {
          throw new UserError("The input file " + bad.path() + " could not be read ("
              + Main.oneLine(e) + "); pass --ignore-corrupt-files to skip such files.", e);
        }
        LOG.info("skipping the corrupt file {} and reading the rest again", bad.path(), e);
        files = files.without(bad, Main.oneLine(e));
        requireReadable();
      }
    }
  }

  /** The readable file a failure names, or null if it names none. */
  private InputFiles.Footer failedFile(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      for (InputFiles.Footer f : files.readable) {
        java.net.URI uri = new Path(f.path()).toUri();
        if (message.contains(uri.getPath()) || message.contains(uri.getRawPath())) {
          return f;
        }
      }
    }
    return null;
  }

  private void requireReadable() {
    if (files.readable.isEmpty()) {
      InputFiles.Footer bad = files.unreadable.get(0);
      throw new UserError("No readable Parquet file in " + input + " (" + bad.path() + ": "
          + bad.error() + ").");
    }
  }

  /**
   * The invariant of every run: the rows read are the rows the footers of the files read
   * promise; otherwise the job fails (exit 1) before anything is written.
   */
  void checkRowsRead(long read, SparkSession spark) {
    long promised = files.rows();
    if (read != promised) {
      boolean sparkSkips = spark.conf().getOption(SPARK_IGNORES_CORRUPT_FILES)
          .exists("true"::equalsIgnoreCase);
      throw new IllegalStateException("Read " + read + " rows, but the footers of the "
          + files.readable.size() + " files read promise " + promised + "; nothing was written"
          + (sparkSkips ? " (" + SPARK_IGNORES_CORRUPT_FILES + " is true, so Spark skipped part"
              + " of a file: pass --ignore-corrupt-files to skip whole files instead)" : "")
          + ".");
    }
  }

  /** The rows of the skipped files, as far as their footers tell. */
  long unreadableRows() {
    return files.unreadable.stream().mapToLong(InputFiles.Footer::rows).sum();
  }

  /** The skipped files. */
  List<String> skipped() {
    return files.unreadable.stream().map(InputFiles.Footer::path).toList();
  }

  /** A warning on stderr naming the skipped files, if any. */
  void warnSkipped() {
    if (!files.unreadable.isEmpty()) {
      System.err.println("stablesoftmax: warning: skipped " + files.unreadable.size()
          + " unreadable file(s), " + unreadableRows() + " rows by their footers (listed in"
          + " input.corrupt_files_skipped): " + String.join(", ", skipped()));
    }
  }

  /** What the output's JSON says of the input read as {@code tables}, in order. */
  Map<String, Object> facts(List<InputTable> tables) {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("path", input);
    in.put("files", (long) files.readable.size());
    in.put("corrupt_files_skipped", skipped());
    in.put("rows_unreadable", unreadableRows());
    in.put("schema", schemas(tables));
    return in;
  }

  static String schemas(List<InputTable> tables) {
    return tables.stream().map(t -> t.schema.simpleString()).distinct().sorted()
        .collect(Collectors.joining("; "));
  }
}
