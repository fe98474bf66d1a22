package org.stablesoftmax.job;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stablesoftmax generate}: reproducible synthetic logits as Parquet. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Writes reproducible synthetic logits (id, label, logits) as Parquet, with"
        + " extreme rows (the naive softmax breaks) and bad rows (nulls, NaN, inf, empty).")
final class GenerateCommand implements Callable<Integer> {

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Output directory (must not exist or be empty, unless --overwrite).")
  String output;

  @Option(names = "--rows", paramLabel = "N", description = "Rows (default ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--classes", paramLabel = "C",
      description = "Classes per row (default ${DEFAULT-VALUE}).")
  int classes;

  @Option(names = "--dtype", paramLabel = "float|double",
      description = "Element type of the logits (default ${DEFAULT-VALUE}).")
  String dtype;

  @Option(names = "--seed", paramLabel = "S", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--extreme-fraction", paramLabel = "F",
      description = "Fraction of extreme rows (default ${DEFAULT-VALUE}).")
  double extremeFraction;

  @Option(names = "--bad-fraction", paramLabel = "F",
      description = "Fraction of bad rows (default ${DEFAULT-VALUE}).")
  double badFraction;

  @Option(names = "--files", paramLabel = "K",
      description = "Number of Parquet files (default ${DEFAULT-VALUE}).")
  int files;

  @Option(names = "--group-size", paramLabel = "K",
      description = "Also write a column group = id / K (K rows a group, as the tokens of a"
          + " sequence, for evaluate --group-col); 0 (default) for none.")
  long groupSize;

  @Option(names = "--overwrite", description = "Replace a non-empty output directory.")
  boolean overwrite;

  @Override
  public Integer call() throws Exception {
    if (rows < 0) {
      throw new UserError("--rows must be at least 0, got " + rows + ".");
    }
    if (groupSize < 0) {
      throw new UserError("--group-size must be at least 0, got " + groupSize + ".");
    }
    if (files < 1) {
      throw new UserError("--files must be at least 1, got " + files + ".");
    }
    boolean isFloat;
    switch (dtype) {
      case "float":
        isFloat = true;
        break;
      case "double":
        isFloat = false;
        break;
      default:
        throw new UserError("--dtype must be float or double, got '" + dtype + "'.");
    }
    SyntheticLogits generator = new SyntheticLogits(seed, classes, extremeFraction, badFraction);
    SparkSession spark = Spark.session("stablesoftmax generate", false);
    OutputDir out = new OutputDir(output, overwrite, spark.sparkContext().hadoopConfiguration(),
        List.of());
    StructType schema = new StructType()
        .add("id", DataTypes.LongType, false)
        .add("label", DataTypes.IntegerType, true)
        .add("logits", DataTypes.createArrayType(
            isFloat ? DataTypes.FloatType : DataTypes.DoubleType, true), true);
    long k = groupSize;
    if (k > 0) {
      schema = schema.add("group", DataTypes.LongType, false);
    }
    StructType rowSchema = schema;
    long start = System.nanoTime();
    boolean done = false;
    try {
      spark.range(0, rows, 1, files)
          .map((MapFunction<Long, Row>) id -> toRow(generator.row(id), isFloat, k),
              Encoders.row(rowSchema))
          .write()
          // Parquet checks a page's size every 100 rows by default: with wide rows (200,000
          // classes, 1.6 MB) pages would grow to 160 MB, which readers decompress very slowly
          .option("parquet.page.size.row.check.min", "1")
          // a CRC32 of every page, which evaluate verifies as it reads
          .option("parquet.page.write-checksum.enabled", "true")
          .parquet(out.staging());
      out.commit();
      done = true;
    } finally {
      if (!done) {
        out.abort();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("generated %,d rows x %d %s logits in %s (%d files) in %.1f s%n", rows,
        classes, dtype, output, files, seconds);
    return 0;
  }

  private static Row toRow(SyntheticLogits.Row r, boolean isFloat, long groupSize) {
    Object logits = null;
    if (r.logits() != null) {
      Object[] values = new Object[r.logits().length];
      for (int i = 0; i < values.length; i++) {
        boolean isNull = r.nullElements() != null && r.nullElements()[i];
        values[i] = isNull ? null : isFloat ? (Object) (float) r.logits()[i] : r.logits()[i];
      }
      logits = values;
    }
    return groupSize > 0 ? RowFactory.create(r.id(), r.label(), logits, r.id() / groupSize)
        : RowFactory.create(r.id(), r.label(), logits);
  }
}
