package org.stablesoftmax.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.StableSoftmax;
import picocli.CommandLine.Option;

/**
 * The options of the commands that read logits ({@code evaluate}, {@code transform},
 * {@code compare}), a picocli mixin, and their checks, each a one-line refusal; the input's path
 * is {@link SingleInputOptions}'s (compare reads two).
 */
class LogitsOptions {

  /** The Arrow engine's bound on a batch's rows (as the Parquet reader's default batch). */
  static final int BATCH_ROWS = 4096;

  /** The largest --batch-bytes: 1 GiB. */
  static final long MAX_BATCH_BYTES = 1L << 30;

  @Option(names = "--logits-col", paramLabel = "NAME",
      description = "The logits: array<float>, array<double> or an MLlib Vector"
          + " (default ${DEFAULT-VALUE}).")
  String logitsCol;

  @Option(names = "--label-col", paramLabel = "NAME",
      description = "The label: int, bigint or an integral double (default ${DEFAULT-VALUE}).")
  String labelCol;

  @Option(names = "--no-label", description = "No label column: no loss, softmax-only results.")
  boolean noLabel;

  @Option(names = "--id-col", paramLabel = "NAME",
      description = "An integer id naming rows in the incident examples; without it, rows are"
          + " named file#row-index.")
  String idCol;

  @Option(names = "--temperature", paramLabel = "T",
      description = "Divide the logits by T (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--temperature-from", paramLabel = "FILE",
      description = "Divide the logits by the temperature fitted by evaluate --fit-temperature:"
          + " FILE is the summary.json it wrote (its calibration.temperature.fitted).")
  String temperatureFrom;

  @Option(names = "--top-k", paramLabel = "K",
      description = "The k of top-k (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--naive-dtype", paramLabel = "DTYPE",
      description = "float32, float64, float16 or bfloat16: the dtype of the naive softmax whose"
          + " failures are incidents (default ${DEFAULT-VALUE}).")
  String naiveDtype;

  @Option(names = "--engine", paramLabel = "arrow|udf",
      description = "arrow: Arrow batches through the kernel (fast); udf: the Spark SQL"
          + " functions. Both give the same bits (default ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--overwrite", description = "Replace a non-empty output directory.")
  boolean overwrite;

  @Option(names = "--ignore-corrupt-files",
      description = "Skip corrupt Parquet files, each whole (listed in the output's JSON),"
          + " instead of failing.")
  boolean ignoreCorruptFiles;

  @Option(names = "--batch-bytes", paramLabel = "BYTES",
      description = "The Arrow engine's batch size bound, in bytes of logits"
          + " (default ${DEFAULT-VALUE}).")
  long batchBytes;

  /** Checks the values that picocli cannot, and reads --temperature-from's temperature. */
  void check() throws IOException {
    if (!StableSoftmax.isValidTemperature(temperature)) {
      throw new UserError("--temperature must be a positive number between 1e-300 and 1e300,"
          + " got " + temperature + ".");
    }
    if (temperatureFrom != null) {
      if (temperature != 1.0) {
        throw new UserError("--temperature and --temperature-from both set the temperature:"
            + " drop one of them.");
      }
      temperature = fittedTemperature(temperatureFrom);
    }
    if (topK < 1) {
      throw new UserError("--top-k must be at least 1, got " + topK + ".");
    }
    dtype();
    engine();
    if (batchBytes < 1024 || batchBytes > MAX_BATCH_BYTES) {
      // Arrow's offsets and the stage's buffers are indexed by int
      throw new UserError("--batch-bytes must be between 1024 and " + MAX_BATCH_BYTES + ", got "
          + batchBytes + ".");
    }
  }

  /**
   * The temperature that {@code evaluate --fit-temperature} wrote in the summary {@code file}.
   *
   * @throws UserError if the file does not exist, is not JSON, or holds no valid fitted
   *     temperature
   */
  static double fittedTemperature(String file) throws IOException {
    Path path = new Path(file);
    FileSystem fs = path.getFileSystem(new Configuration());
    if (!fs.isFile(path)) {
      throw new UserError("The summary " + path + " does not exist; fix --temperature-from.");
    }
    JsonNode summary;
    try (InputStream in = fs.open(path)) {
      summary = new ObjectMapper().readTree(in);
    } catch (JsonProcessingException e) {
      throw new UserError("The summary " + path + " is not JSON (" + Main.oneLine(e)
          + "); fix --temperature-from.", e);
    }
    JsonNode fitted = summary == null ? null : summary.at(FITTED);
    double t = fitted != null && fitted.isNumber() ? fitted.doubleValue() : Double.NaN;
    if (!StableSoftmax.isValidTemperature(t)) {
      throw new UserError("The summary " + path + " holds no fitted temperature (" + FITTED
          + "): write one with evaluate --fit-temperature --output DIR.");
    }
    return t;
  }

  /** Where a summary.json holds the fitted temperature. */
  static final String FITTED = "/calibration/temperature/fitted";

  NaiveDtype dtype() {
    try {
      return NaiveDtype.parse(naiveDtype);
    } catch (IllegalArgumentException e) {
      throw new UserError("--naive-dtype must be float32, float64, float16 or bfloat16, got '"
          + naiveDtype + "'.", e);
    }
  }

  Engine engine() {
    try {
      return Engine.valueOf(engine.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UserError("--engine must be arrow or udf, got '" + engine + "'.", e);
    }
  }

  /** The options as the output's JSON lists them, in order. */
  Map<String, Object> facts() {
    Map<String, Object> opts = new LinkedHashMap<>();
    opts.put("logits_col", logitsCol);
    opts.put("label_col", label());
    opts.put("id_col", idCol);
    opts.put("temperature", temperature);
    opts.put("temperature_from", temperatureFrom);
    opts.put("top_k", (long) topK);
    opts.put("naive_dtype", dtype().label());
    opts.put("engine", engine().name().toLowerCase(Locale.ROOT));
    opts.put("ignore_corrupt_files", ignoreCorruptFiles);
    return opts;
  }

  /** The label column; null with {@code --no-label}. */
  String label() {
    return noLabel ? null : labelCol;
  }

  /**
   * Sets the session up to read the input: the Parquet reader's batches hold whole rows, so a
   * batch of wide rows is kept within {@code --batch-bytes}; with {@code --ignore-corrupt-files}
   * a corrupt file is skipped whole, by {@link CheckedInput}, never in part by Spark.
   */
  void configure(SessionSettings settings, InputFiles files) {
    if (ignoreCorruptFiles) {
      settings.set(CheckedInput.SPARK_IGNORES_CORRUPT_FILES, "false");
    }
    long rowBytes = 8 * files.valuesPerRow();
    settings.set("spark.sql.parquet.columnarReaderBatchSize",
        Long.toString(Math.max(1, Math.min(BATCH_ROWS, batchBytes / rowBytes))));
  }
}
