package org.stablesoftmax.udf;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.QueryContext;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.functions;
import scala.Function1;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The stable softmax functions for Spark SQL and the DataFrame API.
 *
 * <p>{@link #register(SparkSession)} makes {@code softmax}, {@code log_softmax},
 * {@code logsumexp}, {@code cross_entropy}, {@code soft_cross_entropy}, {@code softmax_entropy},
 * {@code max_probability},
 * {@code argmax}, {@code top_k} and {@code softmax_incidents} callable from SQL in that session
 * (and from {@code functions.call_function}); {@link StableSoftmaxExtensions} does the same for
 * every session through {@code spark.sql.extensions}. The static methods build the same
 * expressions as {@link Column}s without any registration.
 */
public final class StableSoftmaxFunctions {

  private StableSoftmaxFunctions() {}

  /**
   * Registers every function in {@code spark}'s function registry (once: registering again is a
   * no-op) and returns {@code spark}. A function of the same name the user registered before is
   * replaced, with Spark's warning.
   */
  public static SparkSession register(SparkSession spark) {
    FunctionRegistry registry = spark.sessionState().functionRegistry();
    for (SoftmaxFunction function : SoftmaxFunction.values()) {
      Option<ExpressionInfo> known = registry.lookupFunction(identifier(function));
      if (known.isEmpty() || !SoftmaxExpression.class.getName().equals(known.get().getClassName())) {
        registry.registerFunction(identifier(function), info(function), builder(function));
      }
    }
    return spark;
  }

  static FunctionIdentifier identifier(SoftmaxFunction function) {
    return new FunctionIdentifier(function.sqlName());
  }

  static ExpressionInfo info(SoftmaxFunction function) {
    return new ExpressionInfo(SoftmaxExpression.class.getName(), null, function.sqlName(),
        function.signature() + " - " + function.description(), "");
  }

  /** Builds the expression from SQL arguments; a wrong number of them fails the analysis. */
  static Function1<Seq<Expression>, Expression> builder(SoftmaxFunction function) {
    return args -> {
      int n = args.size();
      if (n < function.required() || n > function.params().size()) {
        throw unchecked(new AnalysisException(function.sqlName() + " takes " + function.arity()
            + " (" + function.signature() + "), but was given " + n + ".",
            Option.empty(), Option.empty(), Option.empty(), Option.empty(),
            scala.collection.immutable.Map$.MODULE$.empty(), new QueryContext[0]));
      }
      return SoftmaxExpression.of(function, JavaConverters.seqAsJavaList(args));
    };
  }

  /** Throws Scala's AnalysisException, a checked exception to javac, from a Scala function. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException unchecked(Throwable e) throws E {
    throw (E) e;
  }

  private static Column call(SoftmaxFunction function, Column... args) {
    List<Expression> exprs = new ArrayList<>(args.length);
    for (Column arg : args) {
      exprs.add(arg.expr());
    }
    return new Column(SoftmaxExpression.of(function, exprs));
  }

  /** {@code softmax(logits)}. */
  public static Column softmax(Column logits) {
    return call(SoftmaxFunction.SOFTMAX, logits);
  }

  /** {@code softmax(logits, temperature)}. */
  public static Column softmax(Column logits, double temperature) {
    return call(SoftmaxFunction.SOFTMAX, logits, functions.lit(temperature));
  }

  /** {@code softmax(logits, temperature)}, the temperature a column. */
  public static Column softmax(Column logits, Column temperature) {
    return call(SoftmaxFunction.SOFTMAX, logits, temperature);
  }

  /** {@code log_softmax(logits)}. */
  public static Column logSoftmax(Column logits) {
    return call(SoftmaxFunction.LOG_SOFTMAX, logits);
  }

  /** {@code log_softmax(logits, temperature)}. */
  public static Column logSoftmax(Column logits, double temperature) {
    return call(SoftmaxFunction.LOG_SOFTMAX, logits, functions.lit(temperature));
  }

  /** {@code log_softmax(logits, temperature)}, the temperature a column. */
  public static Column logSoftmax(Column logits, Column temperature) {
    return call(SoftmaxFunction.LOG_SOFTMAX, logits, temperature);
  }

  /** {@code logsumexp(logits)}. */
  public static Column logSumExp(Column logits) {
    return call(SoftmaxFunction.LOGSUMEXP, logits);
  }

  /** {@code logsumexp(logits, temperature)}. */
  public static Column logSumExp(Column logits, double temperature) {
    return call(SoftmaxFunction.LOGSUMEXP, logits, functions.lit(temperature));
  }

  /** {@code logsumexp(logits, temperature)}, the temperature a column. */
  public static Column logSumExp(Column logits, Column temperature) {
    return call(SoftmaxFunction.LOGSUMEXP, logits, temperature);
  }

  /** {@code logsumexp_weighted(logits, b)}. */
  public static Column logSumExpWeighted(Column logits, Column b) {
    return call(SoftmaxFunction.LOGSUMEXP_WEIGHTED, logits, b);
  }

  /** {@code logsumexp_sign(logits, b)}. */
  public static Column logSumExpSign(Column logits, Column b) {
    return call(SoftmaxFunction.LOGSUMEXP_SIGN, logits, b);
  }

  /** {@code cross_entropy(logits, label)}. */
  public static Column crossEntropy(Column logits, Column label) {
    return call(SoftmaxFunction.CROSS_ENTROPY, logits, label);
  }

  /** {@code cross_entropy(logits, label, temperature)}. */
  public static Column crossEntropy(Column logits, Column label, double temperature) {
    return call(SoftmaxFunction.CROSS_ENTROPY, logits, label, functions.lit(temperature));
  }

  /** {@code cross_entropy(logits, label, temperature)}, the temperature a column. */
  public static Column crossEntropy(Column logits, Column label, Column temperature) {
    return call(SoftmaxFunction.CROSS_ENTROPY, logits, label, temperature);
  }

  /** {@code brier_score(logits, label)}. */
  public static Column brierScore(Column logits, Column label) {
    return call(SoftmaxFunction.BRIER_SCORE, logits, label);
  }

  /** {@code brier_score(logits, label, temperature)}, the temperature a column. */
  public static Column brierScore(Column logits, Column label, Column temperature) {
    return call(SoftmaxFunction.BRIER_SCORE, logits, label, temperature);
  }

  /** {@code soft_cross_entropy(logits, target_probs)}. */
  public static Column softCrossEntropy(Column logits, Column targetProbs) {
    return call(SoftmaxFunction.SOFT_CROSS_ENTROPY, logits, targetProbs);
  }

  /** {@code softmax_entropy(logits)}. */
  public static Column softmaxEntropy(Column logits) {
    return call(SoftmaxFunction.SOFTMAX_ENTROPY, logits);
  }

  /** {@code softmax_entropy(logits, temperature)}, the temperature a column. */
  public static Column softmaxEntropy(Column logits, Column temperature) {
    return call(SoftmaxFunction.SOFTMAX_ENTROPY, logits, temperature);
  }

  /** {@code max_probability(logits)}. */
  public static Column maxProbability(Column logits) {
    return call(SoftmaxFunction.MAX_PROBABILITY, logits);
  }

  /** {@code max_probability(logits, temperature)}, the temperature a column. */
  public static Column maxProbability(Column logits, Column temperature) {
    return call(SoftmaxFunction.MAX_PROBABILITY, logits, temperature);
  }

  /** {@code argmax(logits)}. */
  public static Column argmax(Column logits) {
    return call(SoftmaxFunction.ARGMAX, logits);
  }

  /** {@code top_k(logits, k)}. */
  public static Column topK(Column logits, int k) {
    return call(SoftmaxFunction.TOP_K, logits, functions.lit(k));
  }

  /** {@code softmax_incidents(logits, label)}, naive dtype float32. */
  public static Column softmaxIncidents(Column logits, Column label) {
    return call(SoftmaxFunction.SOFTMAX_INCIDENTS, logits, label);
  }

  /** {@code softmax_incidents(logits, label, naiveDtype)}. */
  public static Column softmaxIncidents(Column logits, Column label, String naiveDtype) {
    return call(SoftmaxFunction.SOFTMAX_INCIDENTS, logits, label, functions.lit(naiveDtype));
  }

  /** {@code softmax_row_result(logits, label)}: temperature 1, naive dtype float32. */
  public static Column softmaxRowResult(Column logits, Column label) {
    return call(SoftmaxFunction.ROW_RESULT, logits, label);
  }

  /** {@code softmax_row_result(logits, label, temperature, naiveDtype)}. */
  public static Column softmaxRowResult(Column logits, Column label, Column temperature,
      String naiveDtype) {
    return call(SoftmaxFunction.ROW_RESULT, logits, label, temperature,
        functions.lit(naiveDtype));
  }

  /**
   * {@code softmax_row_result(logits, label, temperature, naiveDtype, labelSmoothing,
   * classWeights, scores)}: the loss with PyTorch's label smoothing and class weights (a null
   * array: none), the logits being what {@code scores} says ("logits", "log_probabilities",
   * "probabilities").
   */
  public static Column softmaxRowResult(Column logits, Column label, Column temperature,
      String naiveDtype, Column labelSmoothing, Column classWeights, String scores) {
    return call(SoftmaxFunction.ROW_RESULT, logits, label, temperature,
        functions.lit(naiveDtype), labelSmoothing, classWeights, functions.lit(scores));
  }

  /**
   * {@code softmax_row_result(logits, label, temperature, naiveDtype, labelSmoothing,
   * classWeights, scores, target)}: the loss against the soft target {@code target} (class
   * probabilities), as PyTorch's {@code cross_entropy} with probability targets, and the label
   * its argmax; {@code label} is not read.
   */
  public static Column softmaxRowResult(Column logits, Column label, Column temperature,
      String naiveDtype, Column labelSmoothing, Column classWeights, String scores,
      Column target) {
    return call(SoftmaxFunction.ROW_RESULT, logits, label, temperature,
        functions.lit(naiveDtype), labelSmoothing, classWeights, functions.lit(scores), target);
  }
}
