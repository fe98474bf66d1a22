package org.stablesoftmax.udf;

import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * The SQL functions: each one's name, parameters, result type, and the {@link RowEvaluator}
 * method that computes it. The parameters also fix the method's signature (see {@link Param}).
 */
public enum SoftmaxFunction {
  SOFTMAX("softmax", "softmax", 1, Param.LOGITS, Param.TEMPERATURE,
      "softmax(logits / temperature), in the logits' element type.") {
    @Override
    DataType resultType(boolean isFloat) {
      return sameElementType(isFloat);
    }
  },
  LOG_SOFTMAX("log_softmax", "logSoftmax", 1, Param.LOGITS, Param.TEMPERATURE,
      "log(softmax(logits / temperature)), in the logits' element type.") {
    @Override
    DataType resultType(boolean isFloat) {
      return sameElementType(isFloat);
    }
  },
  LOGSUMEXP("logsumexp", "logSumExp", 1, Param.LOGITS, Param.TEMPERATURE,
      "log(sum(exp(logits / temperature))); -inf for an empty or all -inf row."),
  LOGSUMEXP_WEIGHTED("logsumexp_weighted", "weightedLogSumExp", 2, Param.LOGITS, Param.WEIGHTS,
      "log(sum(b * exp(logits))), as SciPy's logsumexp(a, b=b): a weight 0 leaves its term out;"
          + " NaN for a negative sum; null if the sizes differ."),
  LOGSUMEXP_SIGN("logsumexp_sign", "signedLogSumExp", 2, Param.LOGITS, Param.WEIGHTS,
      "struct(log(abs(sum(b * exp(logits)))), sign of the sum), as SciPy's logsumexp(a, b=b,"
          + " return_sign=True); null if the sizes differ.") {
    @Override
    DataType resultType(boolean isFloat) {
      return RowEvaluator.SIGNED_LOGSUMEXP_TYPE;
    }
  },
  CROSS_ENTROPY("cross_entropy", "crossEntropy", 2, Param.LOGITS, Param.LABEL, Param.TEMPERATURE,
      "-log(softmax(logits / temperature)[label]); null for a label out of range."),
  BRIER_SCORE("brier_score", "brier", 2, Param.LOGITS, Param.LABEL, Param.TEMPERATURE,
      "sum((softmax(logits / temperature) - one_hot(label))^2), in [0, 2]; null for a label out"
          + " of range."),
  SOFT_CROSS_ENTROPY("soft_cross_entropy", "softCrossEntropy", 2, Param.LOGITS, Param.TARGET,
      Param.TEMPERATURE,
      "-sum(target_probs * log_softmax(logits / temperature)); null if the sizes differ."),
  SOFTMAX_ENTROPY("softmax_entropy", "entropy", 1, Param.LOGITS, Param.TEMPERATURE,
      "The entropy of softmax(logits / temperature), in nats."),
  MAX_PROBABILITY("max_probability", "maxProbability", 1, Param.LOGITS, Param.TEMPERATURE,
      "The largest probability of softmax(logits / temperature): the model's confidence."),
  ARGMAX("argmax", "argmax", 1, Param.LOGITS,
      "The index of the first largest logit (NaN counts as largest); null if empty.") {
    @Override
    DataType resultType(boolean isFloat) {
      return DataTypes.IntegerType;
    }
  },
  TOP_K("top_k", "topK", 2, Param.LOGITS, Param.K,
      "The indices of the min(k, size) largest logits, largest first; ties by index.") {
    @Override
    DataType resultType(boolean isFloat) {
      return DataTypes.createArrayType(DataTypes.IntegerType, false);
    }
  },
  SOFTMAX_INCIDENTS("softmax_incidents", "incidents", 1, Param.LOGITS, Param.LABEL,
      Param.NAIVE_DTYPE, "The row's incident kinds: what is wrong with the data, and what a naive"
          + " softmax in naive_dtype ('float32' by default) would have done to it.") {
    @Override
    DataType resultType(boolean isFloat) {
      return DataTypes.createArrayType(DataTypes.StringType, false);
    }

    @Override
    boolean nullIntolerant() {
      return false;
    }
  },
  ROW_RESULT("softmax_row_result", "rowResult", 1,
      List.of(Param.LOGITS, Param.LABEL, Param.TEMPERATURE, Param.NAIVE_DTYPE,
          Param.LABEL_SMOOTHING, Param.CLASS_WEIGHTS, Param.SCORES, Param.SOFT_TARGET),
      "What the row comes to, as the evaluate job counts it: a struct of its incident kinds, the"
          + " loss (with PyTorch's label_smoothing and class weights), the prediction, the"
          + " label's rank, the entropy, the largest probability, the logsumexp and the Brier"
          + " score, and the label (values at the temperature, incidents of the logits as they"
          + " are). With a target (class probabilities), the loss is against it, as PyTorch's"
          + " cross_entropy with probability targets, and the label is its argmax.") {
    @Override
    DataType resultType(boolean isFloat) {
      return RowEvaluator.ROW_RESULT_TYPE;
    }

    @Override
    boolean nullIntolerant() {
      return false;
    }
  };

  /** The kinds of parameter, each with the SQL types it accepts. */
  enum Param {
    /**
     * array of float or double (other numeric element types, and the void of the literal
     * {@code array()}, are read as double).
     */
    LOGITS("logits"),
    /** a probability vector, array of float or double (others as for {@link #LOGITS}). */
    TARGET("target_probs"),
    /** weights of the terms of a sum, array of float or double (others as for {@link #LOGITS}). */
    WEIGHTS("b"),
    /** a positive number, read as double; 1 when absent. */
    TEMPERATURE("temperature"),
    /** an integral class index, read as long. */
    LABEL("label"),
    /** an integral count, read as long. */
    K("k"),
    /** a number in [0, 1], read as double; 0 when absent. */
    LABEL_SMOOTHING("label_smoothing"),
    /** one finite weight per class, array of float or double; none when absent or null. */
    CLASS_WEIGHTS("class_weights"),
    /**
     * a soft target, array of float or double class probabilities; when given (even a null
     * value), the loss is against it and the label argument is not read.
     */
    SOFT_TARGET("target"),
    /**
     * a constant string, what the logits are: 'logits' (when absent), 'log_probabilities' or
     * 'probabilities'.
     */
    SCORES("scores"),
    /** a constant string naming a naive dtype; 'float32' when absent. */
    NAIVE_DTYPE("naive_dtype");

    final String sqlName;

    Param(String sqlName) {
      this.sqlName = sqlName;
    }
  }

  private final String sqlName;
  private final String description;
  private final String method;
  private final int required;
  private final List<Param> params;

  SoftmaxFunction(String sqlName, String method, int required, Param p1, String description) {
    this(sqlName, method, required, List.of(p1), description);
  }

  SoftmaxFunction(String sqlName, String method, int required, Param p1, Param p2,
      String description) {
    this(sqlName, method, required, List.of(p1, p2), description);
  }

  SoftmaxFunction(String sqlName, String method, int required, Param p1, Param p2, Param p3,
      String description) {
    this(sqlName, method, required, List.of(p1, p2, p3), description);
  }

  SoftmaxFunction(String sqlName, String method, int required, List<Param> params,
      String description) {
    this.sqlName = sqlName;
    this.method = method;
    this.required = required;
    this.params = params;
    this.description = description;
  }

  /** The function's name in SQL. */
  public String sqlName() {
    return sqlName;
  }

  /** The {@link RowEvaluator} method that computes it. */
  String method() {
    return method;
  }

  /** How many leading parameters are required; the rest are optional. */
  int required() {
    return required;
  }

  List<Param> params() {
    return params;
  }

  /** The result type, for logits of float ({@code isFloat}) or double elements. */
  DataType resultType(boolean isFloat) {
    return DataTypes.DoubleType;
  }

  /** Whether a null argument makes the result null without a call. */
  boolean nullIntolerant() {
    return true;
  }

  /** The usage line, e.g. {@code softmax_incidents(logits [, label [, naive_dtype]])}. */
  public String signature() {
    StringBuilder sb = new StringBuilder(sqlName).append('(').append(params.get(0).sqlName);
    for (int i = 1; i < params.size(); i++) {
      sb.append(i < required ? ", " : " [, ").append(params.get(i).sqlName);
    }
    return sb.append("]".repeat(params.size() - required)).append(')').toString();
  }

  /** How many arguments it takes, in words: "1 argument", "1 or 2 arguments", ... */
  String arity() {
    int max = params.size();
    return required == max ? max + (max == 1 ? " argument" : " arguments")
        : required + (max == required + 1 ? " or " : " to ") + max + " arguments";
  }

  /** What it returns, in a sentence. */
  public String description() {
    return description;
  }

  private static ArrayType sameElementType(boolean isFloat) {
    return DataTypes.createArrayType(isFloat ? DataTypes.FloatType : DataTypes.DoubleType, false);
  }
}
