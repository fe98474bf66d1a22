package org.stablesoftmax.transform;

import static org.apache.spark.sql.functions.array_remove;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.stablesoftmax.kernel.IncidentKind;
import org.stablesoftmax.udf.StableSoftmaxFunctions;

/**
 * The per-row outputs of {@code transform}: each one's column name, and the SQL function whose
 * value it is on the same row (the {@code udf} engine computes it so; the Arrow engine gives the
 * same bits from the kernel).
 */
public enum Output {
  SOFTMAX((x, y, spec) -> StableSoftmaxFunctions.softmax(x, spec.temperature())),
  LOG_SOFTMAX((x, y, spec) -> StableSoftmaxFunctions.logSoftmax(x, spec.temperature())),
  LOGSUMEXP((x, y, spec) -> StableSoftmaxFunctions.logSumExp(x, spec.temperature())),
  LOSS((x, y, spec) -> StableSoftmaxFunctions.crossEntropy(x, y, spec.temperature())),
  PREDICTION((x, y, spec) -> StableSoftmaxFunctions.argmax(x)),
  TOP_K((x, y, spec) -> StableSoftmaxFunctions.topK(x, spec.topK())),
  ENTROPY((x, y, spec) -> StableSoftmaxFunctions.softmaxEntropy(x, lit(spec.temperature()))),
  MAX_PROBABILITY((x, y, spec) ->
      StableSoftmaxFunctions.maxProbability(x, lit(spec.temperature()))),
  INCIDENTS((x, y, spec) -> {
    Column named = StableSoftmaxFunctions.softmaxIncidents(x, y,
        spec.stage().naiveDtype().label());
    // without a label column, as softmax_incidents(logits) gives them: no NULL_LABEL
    return spec.stage().hasLabel() ? named : array_remove(named, IncidentKind.NULL_LABEL.name());
  });

  /** An output's SQL function on the logits and label columns. */
  private interface Sql {
    Column of(Column logits, Column label, TransformSpec spec);
  }

  private final transient Sql sql;

  Output(Sql sql) {
    this.sql = sql;
  }

  /** The default of {@code --outputs}; {@code loss} is left out when there is no label. */
  public static final String DEFAULT = "softmax,loss,prediction,max_probability,incidents";

  /** The output's column name (and its name in {@code --outputs}). */
  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The SQL function whose value this output is, on the logits and label columns. */
  Column sql(Column logits, Column label, TransformSpec spec) {
    return sql.of(logits, label, spec);
  }

  /**
   * The outputs a comma-separated list names, in its order.
   *
   * @throws IllegalArgumentException naming an unknown or repeated name
   */
  public static List<Output> parse(String list) {
    List<Output> out = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      String name = part.trim();
      Output o = Arrays.stream(values()).filter(v -> v.column().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("'" + name + "' is not an output"
              + " (outputs: " + names() + ")"));
      if (out.contains(o)) {
        throw new IllegalArgumentException("'" + name + "' is named twice");
      }
      out.add(o);
    }
    return out;
  }

  /** Every output's name, comma-separated. */
  public static String names() {
    return Arrays.stream(values()).map(Output::column).collect(Collectors.joining(", "));
  }
}
