package org.stablesoftmax.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.arrow.StageSpec;
import org.stablesoftmax.evaluate.Engine;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.stats.PartitionStats;
import org.stablesoftmax.transform.Output;
import org.stablesoftmax.transform.Transform;
import org.stablesoftmax.transform.TransformSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stablesoftmax transform}: per-row softmax, log-softmax, loss, ... written as Parquet. */
@Command(name = "transform", mixinStandardHelpOptions = true,
    description = "Writes per-row outputs of logits stored as Parquet (softmax, log-softmax,"
        + " logsumexp, loss, prediction, top-k, entropy, largest probability, incidents) as"
        + " Parquet to --output, with the kept input columns, and DIR/_transform.json with the"
        + " incident counts. Each value is that of the SQL function of the same name.")
final class TransformCommand implements Callable<Integer> {

  /** The staged output's rows and counts, and the transform's seconds. */
  private record Transformed(InputTable table, PartitionStats stats, double seconds) {}

  @Spec
  CommandSpec spec;

  @Mixin
  SingleInputOptions in = new SingleInputOptions();

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Where to write the Parquet dataset (DIR must not exist or be empty, unless"
          + " --overwrite).")
  String output;

  @Option(names = "--outputs", paramLabel = "LIST",
      description = "Comma-separated, each also the column's name: softmax, log_softmax,"
          + " logsumexp, loss, prediction, top_k, entropy, max_probability, incidents"
          + " (default ${DEFAULT-VALUE}; without a label, loss is left out).")
  String outputs;

  @Option(names = "--keep", paramLabel = "COLS|all",
      description = "Input columns to copy through, comma-separated, or all (default: the id"
          + " and label columns).")
  String keep;

  @Override
  public Integer call() throws Exception {
    in.check();
    NaiveDtype dtype = in.dtype();
    Engine eng = in.engine();
    List<Output> outs = outputs();
    List<String> kept = kept();

    SparkSession spark = Spark.session("stablesoftmax transform", true);
    CheckedInput checked = CheckedInput.open(spark, in.input, in.logitsCol,
        in.ignoreCorruptFiles);
    OutputDir out = new OutputDir(output, in.overwrite,
        spark.sparkContext().hadoopConfiguration(), checked.files().paths());
    checked.refuseUnreadableFooters();
    Transformed done;
    boolean committed = false;
    try {
      try (SessionSettings settings = new SessionSettings(spark)) {
        in.configure(settings, checked.files());
        done = checked.read(f -> List.of(InputTable.readOne(spark, f, in.logitsCol, in.label(),
            in.idCol, kept, "transform writes one dataset of one schema: transform such files"
                + " apart")), tables -> write(spark, tables.get(0), outs, dtype, eng, checked,
            out));
      }
      PartitionStats stats = done.stats();
      checked.checkRowsRead(stats.rows(), spark);
      long written = InputFiles.check(spark, out.staging(), outs.get(0).column()).rows();
      if (written != stats.rows()) {
        throw new IllegalStateException("Wrote " + written + " rows for the " + stats.rows()
            + " rows read; nothing was written.");
      }
      out.write("_transform.json", json(done, outs, dtype, eng, checked));
      out.commit();
      committed = true;
      checked.warnSkipped();
      System.out.println("stablesoftmax transform " + in.input);
      System.out.print(table(done, outs));
      System.out.println("  output: " + output + " (counts in " + output + "/_transform.json)");
      return Main.OK;
    } finally {
      if (!committed) {
        out.abort();
      }
    }
  }

  /** The outputs asked for: loss left out of the default without a label, refused if named. */
  private List<Output> outputs() {
    List<Output> outs;
    try {
      outs = new ArrayList<>(Output.parse(outputs));
    } catch (IllegalArgumentException e) {
      throw new UserError("--outputs: " + e.getMessage() + ".", e);
    }
    if (in.noLabel && outs.contains(Output.LOSS)) {
      // a list given on the command line asks for loss, even if it is the default's
      if (spec.commandLine().getParseResult().hasMatchedOption("--outputs")
          || !outputs.replace(" ", "").equals(Output.DEFAULT)) {
        throw new UserError("--outputs loss needs a label: drop loss, or pass --label-col NAME"
            + " instead of --no-label.");
      }
      outs.remove(Output.LOSS);
    }
    return outs;
  }

  /** The columns to keep: null for all. */
  private List<String> kept() {
    if (keep == null) {
      List<String> k = new ArrayList<>();
      if (in.idCol != null) {
        k.add(in.idCol);
      }
      if (!in.noLabel && !k.contains(in.labelCol)) {
        k.add(in.labelCol);
      }
      return k;
    }
    if (keep.trim().equals("all")) {
      return null;
    }
    List<String> k = new ArrayList<>();
    for (String c : keep.split(",", -1)) {
      String name = c.trim();
      if (name.isEmpty()) {
        throw new UserError("--keep has an empty column name in '" + keep + "'.");
      }
      if (!k.contains(name)) {
        k.add(name);
      }
    }
    return k;
  }

  private Transformed write(SparkSession spark, InputTable table, List<Output> outs,
      NaiveDtype dtype, Engine eng, CheckedInput checked, OutputDir out) {
    for (String name : table.kept.fieldNames()) {
      for (Output o : outs) {
        if (o.column().equalsIgnoreCase(name)) {
          throw new UserError("The kept input column '" + name + "' has the name of the output "
              + o.column() + "; keep other columns (--keep) or drop the output (--outputs).");
        }
      }
    }
    StageSpec stage = new StageSpec(table.logitsKind, in.temperature, dtype, !in.noLabel,
        in.batchBytes, LogitsOptions.BATCH_ROWS, table.kept);
    TransformSpec spec = new TransformSpec(stage, outs, in.topK,
        checked.files().commonDirectory());
    long start = System.nanoTime();
    Transform.Counts counts = Transform.counts(spark);
    // the staging directory is this run's own: a run again after a corrupt file replaces it
    Transform.rows(spark, table.rows, spec, eng, counts).write().mode(SaveMode.Overwrite)
        .parquet(out.staging());
    return new Transformed(table, counts.value(), (System.nanoTime() - start) / 1e9);
  }

  private String json(Transformed done, List<Output> outs, NaiveDtype dtype, Engine eng,
      CheckedInput checked) throws IOException {
    PartitionStats stats = done.stats();
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeNumberField("rows", stats.rows());
      Summary.incidents(g, stats, dtype.label());
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("path", output);
      o.put("columns", new ArrayList<>(Arrays.asList(columns(done.table(), outs))));
      Summary.write(g, "output", o);
      g.writeObjectFieldStart("timing");
      Summary.number(g, "transform_seconds", done.seconds());
      Summary.number(g, "rows_per_second", stats.rows() / done.seconds());
      g.writeEndObject();
      Summary.write(g, "input", checked.facts(List.of(done.table())));
      Map<String, Object> opts = in.facts();
      opts.put("outputs", outs.stream().map(Output::column).toList());
      opts.put("keep", Arrays.asList(done.table().kept.fieldNames()));
      Summary.write(g, "options", opts);
      Summary.write(g, "versions", Summary.versions());
      g.writeEndObject();
    }
    return w + System.lineSeparator();
  }

  private static String[] columns(InputTable table, List<Output> outs) {
    StructType kept = table.kept;
    List<String> names = new ArrayList<>(Arrays.asList(kept.fieldNames()));
    outs.forEach(o -> names.add(o.column()));
    return names.toArray(new String[0]);
  }

  private String table(Transformed done, List<Output> outs) {
    PartitionStats stats = done.stats();
    StringBuilder sb = new StringBuilder();
    Summary.line(sb, "rows", String.format("%,d written", stats.rows()));
    Summary.line(sb, "columns", String.join(", ", columns(done.table(), outs)));
    Summary.incidentLines(sb, stats, in.dtype().label());
    Summary.line(sb, "time", String.format("%.2f s (%,.0f rows/s)", done.seconds(),
        stats.rows() / done.seconds()));
    return sb.toString();
  }
}
