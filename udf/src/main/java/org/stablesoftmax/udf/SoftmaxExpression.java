package org.stablesoftmax.udf;

import java.io.Serializable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult;
import org.apache.spark.sql.catalyst.expressions.Cast;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.codegen.CodeBlock;
import org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator$;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.catalyst.expressions.codegen.FalseLiteral$;
import org.apache.spark.sql.catalyst.expressions.codegen.JavaCode;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.stablesoftmax.kernel.NaiveDtype;
import org.stablesoftmax.kernel.Scores;
import org.stablesoftmax.kernel.RowResult;
import org.stablesoftmax.udf.SoftmaxFunction.Param;
import scala.Option;
import scala.collection.IndexedSeq;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * One of the {@link SoftmaxFunction}s as a Catalyst expression: it reads {@code ArrayData}
 * directly (no {@code Row}, no boxed {@code Seq}) and generates Java code that calls a
 * {@link RowEvaluator} held by the generated object; interpreted evaluation calls the same
 * methods on a per-thread evaluator.
 *
 * <p>Arguments of other numeric types are cast inside the expression (an integral label to
 * bigint, a temperature to double, an array of ints or decimals to array&lt;double&gt;, and so is
 * the literal {@code array()}, of type array&lt;void&gt;), so the plan shows what the user wrote.
 * Argument types are checked at analysis with Spark's usual {@code DATATYPE_MISMATCH} errors.
 */
public final class SoftmaxExpression extends Expression implements Serializable {

  private static final long serialVersionUID = 1L;

  private static final ThreadLocal<RowEvaluator> EVALUATOR =
      ThreadLocal.withInitial(RowEvaluator::new);

  private final SoftmaxFunction function;
  private final Seq<Expression> children;
  /** The children cast to the types the evaluator reads; built on first use. */
  private transient Expression[] inputs;
  private transient MethodHandle method;
  /**
   * The naive dtype's ordinal, read once from the constant argument: null until then (and after
   * deserialization, which skips field initializers).
   */
  private transient Integer dtype;
  private transient Integer scores;

  public SoftmaxExpression(SoftmaxFunction function, Seq<Expression> children) {
    this.function = Objects.requireNonNull(function, "function");
    this.children = Objects.requireNonNull(children, "children");
  }

  /** The expression for {@code function(args...)}. */
  public static SoftmaxExpression of(SoftmaxFunction function, List<Expression> args) {
    return new SoftmaxExpression(function, JavaConverters.asScalaBuffer(args).toIndexedSeq());
  }

  public SoftmaxFunction function() {
    return function;
  }

  // ------------------------------------------------------------------ the expression's shape

  @Override
  public Seq<Expression> children() {
    return children;
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    return new SoftmaxExpression(function, newChildren);
  }

  @Override
  public String prettyName() {
    return function.sqlName();
  }

  @Override
  public Iterator<Object> stringArgs() {
    @SuppressWarnings("unchecked")
    Iterator<Object> args = (Iterator<Object>) (Iterator<?>) children.iterator();
    return args;
  }

  @Override
  public boolean nullable() {
    return function.nullIntolerant();
  }

  @Override
  public DataType dataType() {
    return function.resultType(isFloatArray(0));
  }

  @Override
  public int productArity() {
    return 2;
  }

  @Override
  public Object productElement(int n) {
    switch (n) {
      case 0:
        return function;
      case 1:
        return children;
      default:
        throw new IndexOutOfBoundsException(String.valueOf(n));
    }
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof SoftmaxExpression;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SoftmaxExpression && ((SoftmaxExpression) o).function == function
        && ((SoftmaxExpression) o).children.equals(children);
  }

  @Override
  public int hashCode() {
    return 31 * function.hashCode() + children.hashCode();
  }

  private List<Expression> arguments() {
    return JavaConverters.seqAsJavaList(children);
  }

  private Param param(int i) {
    return function.params().get(i);
  }

  private boolean isFloatArray(int i) {
    DataType type = arguments().get(i).dataType();
    return type instanceof ArrayType && ((ArrayType) type).elementType() instanceof FloatType;
  }

  // ------------------------------------------------------------------ analysis

  @Override
  public TypeCheckResult checkInputDataTypes() {
    List<Expression> args = arguments();
    for (int i = 0; i < args.size(); i++) {
      Expression arg = args.get(i);
      DataType type = arg.dataType();
      switch (param(i)) {
        case LOGITS:
        case TARGET:
        case WEIGHTS:
        case CLASS_WEIGHTS:
        case SOFT_TARGET:
          if (!(type instanceof NullType || type instanceof ArrayType
              && isArrayElement(((ArrayType) type).elementType()))) {
            return mismatch(i, ARRAY_TYPES);
          }
          break;
        case TEMPERATURE:
        case LABEL_SMOOTHING:
          if (!(type instanceof NullType || type instanceof NumericType)) {
            return mismatch(i, "\"DOUBLE\"");
          }
          break;
        case LABEL:
        case K:
          if (!(type instanceof NullType || type instanceof ByteType || type instanceof ShortType
              || type instanceof IntegerType || type instanceof LongType)) {
            return mismatch(i, "\"INT\" or \"BIGINT\"");
          }
          break;
        case NAIVE_DTYPE:
        case SCORES:
          if (!(type instanceof StringType)) {
            return mismatch(i, "\"STRING\"");
          }
          if (!arg.foldable()) {
            return new TypeCheckResult.DataTypeMismatch("NON_FOLDABLE_INPUT", scalaMap(Map.of(
                "inputName", param(i).sqlName, "inputType", "\"STRING\"",
                "inputExpr", quoted(arg))));
          }
          Object value = arg.eval(null);
          if (value == null) {
            return new TypeCheckResult.DataTypeMismatch("UNEXPECTED_NULL",
                scalaMap(Map.of("exprName", param(i).sqlName)));
          }
          try {
            constantOrdinal(param(i), value.toString());
          } catch (IllegalArgumentException e) {
            return new TypeCheckResult.TypeCheckFailure(e.getMessage());
          }
          break;
        default:
          throw new AssertionError(param(i));
      }
    }
    return TypeCheckResult.TypeCheckSuccess$.MODULE$;
  }

  /**
   * What an array argument's elements may be: a number ({@code NumericType}: tinyint, smallint,
   * int, bigint, decimal, float, double), or {@code void}, the type of the literal {@code
   * array()}, read as an empty (or all-null) array of doubles.
   */
  private static boolean isArrayElement(DataType element) {
    return element instanceof NumericType || element instanceof NullType;
  }

  /** The array types {@link #isArrayElement} accepts, for the type error's message. */
  private static final String ARRAY_TYPES = "\"ARRAY<TINYINT>\", \"ARRAY<SMALLINT>\", \"ARRAY<INT>\","
      + " \"ARRAY<BIGINT>\", \"ARRAY<DECIMAL>\", \"ARRAY<FLOAT>\", \"ARRAY<DOUBLE>\""
      + " or \"ARRAY<VOID>\"";

  private TypeCheckResult mismatch(int i, String required) {
    Expression arg = arguments().get(i);
    return new TypeCheckResult.DataTypeMismatch("UNEXPECTED_INPUT_TYPE", scalaMap(Map.of(
        "paramIndex", String.valueOf(i + 1),
        "requiredType", required,
        "inputSql", quoted(arg),
        "inputType", "\"" + arg.dataType().sql() + "\"")));
  }

  private static String quoted(Expression e) {
    return "\"" + org.apache.spark.sql.catalyst.util.package$.MODULE$.toPrettySQL(e) + "\"";
  }

  private static scala.collection.immutable.Map<String, String> scalaMap(Map<String, String> m) {
    scala.collection.immutable.Map<String, String> out =
        scala.collection.immutable.Map$.MODULE$.empty();
    for (Map.Entry<String, String> e : m.entrySet()) {
      out = out.updated(e.getKey(), e.getValue());
    }
    return out;
  }

  // ------------------------------------------------------------------ evaluation

  /**
   * The children cast to what the evaluator reads: array of float or double (array&lt;void&gt;
   * too becomes array&lt;double&gt;), double, bigint.
   */
  private Expression[] inputs() {
    Expression[] in = inputs;
    if (in == null) {
      List<Expression> args = arguments();
      in = new Expression[args.size()];
      for (int i = 0; i < in.length; i++) {
        Expression arg = args.get(i);
        DataType target = inputType(param(i), arg.dataType());
        in[i] = target == null || target.equals(arg.dataType())
            ? arg : new Cast(arg, target, Option.empty());
      }
      inputs = in;
    }
    return in;
  }

  private static DataType inputType(Param param, DataType given) {
    switch (param) {
      case LOGITS:
      case TARGET:
      case WEIGHTS:
      case CLASS_WEIGHTS:
      case SOFT_TARGET:
        if (given instanceof ArrayType) {
          DataType element = ((ArrayType) given).elementType();
          if (element instanceof FloatType || element instanceof DoubleType) {
            return given;
          }
        }
        return DataTypes.createArrayType(DataTypes.DoubleType);
      case TEMPERATURE:
      case LABEL_SMOOTHING:
        return DataTypes.DoubleType;
      case LABEL:
      case K:
        return DataTypes.LongType;
      default:
        return null;
    }
  }

  /** The naive dtype's ordinal: the constant argument, or float32. */
  private int dtypeOrdinal() {
    if (dtype == null) {
      dtype = constantOrdinal(Param.NAIVE_DTYPE);
    }
    return dtype;
  }

  /** The scores' ordinal: the constant argument, or logits. */
  private int scoresOrdinal() {
    if (scores == null) {
      scores = constantOrdinal(Param.SCORES);
    }
    return scores;
  }

  /**
   * The ordinal of a constant string parameter's value: the argument's, or the default (float32,
   * logits).
   */
  private int constantOrdinal(Param p) {
    int i = function.params().indexOf(p);
    if (i < 0 || i >= arguments().size()) {
      return p == Param.NAIVE_DTYPE ? NaiveDtype.FLOAT32.ordinal() : Scores.LOGITS.ordinal();
    }
    return constantOrdinal(p, arguments().get(i).eval(null).toString());
  }

  /** The ordinal of {@code value} as a constant of {@code p}: a naive dtype, or scores. */
  private static int constantOrdinal(Param p, String value) {
    return p == Param.NAIVE_DTYPE ? NaiveDtype.parse(value).ordinal()
        : Scores.parse(value).ordinal();
  }

  /** Whether the parameter is a constant string, passed to the evaluator as an ordinal. */
  private static boolean isConstant(Param p) {
    return p == Param.NAIVE_DTYPE || p == Param.SCORES;
  }

  /**
   * The evaluator call's arguments, from each input's value and null flag: an array and whether
   * its elements are float, a temperature (1 when absent), a label (with its state when the
   * function takes null labels), k, a naive dtype's ordinal. {@code V} is a value or its Java
   * source.
   */
  private <V> List<V> callArguments(Values<V> values) {
    List<V> out = new ArrayList<>();
    int given = arguments().size();
    for (int i = 0; i < function.params().size(); i++) {
      boolean present = i < given;
      switch (param(i)) {
        case LOGITS:
        case TARGET:
        case WEIGHTS:
          out.add(values.value(i));
          out.add(values.constant(isFloatArray(i)));
          break;
        case TEMPERATURE:
          out.add(present ? values.value(i) : values.constant(1.0));
          break;
        case LABEL_SMOOTHING:
          out.add(present ? values.value(i) : values.constant(0.0));
          break;
        case CLASS_WEIGHTS:
          out.add(present ? values.value(i) : values.absentArray());
          out.add(values.constant(present && isFloatArray(i)));
          break;
        case SOFT_TARGET:
          out.add(present ? values.value(i) : values.absentArray());
          out.add(values.constant(present && isFloatArray(i)));
          out.add(values.constant(present));
          break;
        case LABEL:
          if (!function.nullIntolerant()) {
            out.add(present ? values.labelState(i) : values.constant(RowResult.LABEL_ABSENT));
          }
          out.add(present ? values.value(i) : values.constant(0L));
          break;
        case K:
          out.add(values.value(i));
          break;
        case NAIVE_DTYPE:
          out.add(values.constant(dtypeOrdinal()));
          break;
        case SCORES:
          out.add(values.constant(scoresOrdinal()));
          break;
        default:
          throw new AssertionError(param(i));
      }
    }
    return out;
  }

  /** Argument values for {@link #callArguments}: actual values, or Java source. */
  private interface Values<V> {
    V value(int i);

    V labelState(int i);

    V constant(Object c);

    /** An optional array argument that is not given: null. */
    V absentArray();
  }

  @Override
  public Object eval(InternalRow row) {
    Expression[] in = inputs();
    Object[] values = new Object[in.length];
    for (int i = 0; i < in.length; i++) {
      if (isConstant(param(i))) {
        continue;
      }
      values[i] = in[i].eval(row);
      if (values[i] == null && function.nullIntolerant()) {
        return null;
      }
    }
    RowEvaluator evaluator = EVALUATOR.get();
    List<Object> args = callArguments(new Values<Object>() {
      @Override
      public Object value(int i) {
        // a null label or temperature of a function that takes nulls: see nullValue
        if (values[i] == null && param(i) == Param.LABEL) {
          return Long.valueOf(0L);
        }
        return values[i] == null
            && (param(i) == Param.TEMPERATURE || param(i) == Param.LABEL_SMOOTHING)
            ? (Object) Double.NaN : values[i];
      }

      @Override
      public Object absentArray() {
        return null;
      }

      @Override
      public Object labelState(int i) {
        return values[i] == null ? RowResult.LABEL_NULL : RowResult.LABEL_PRESENT;
      }

      @Override
      public Object constant(Object c) {
        return c;
      }
    });
    args.add(0, evaluator);
    Object result;
    try {
      result = method().invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
    boolean primitive = !(result instanceof ArrayData || result instanceof InternalRow);
    return primitive && evaluator.wasNull() ? null : result;
  }

  private MethodHandle method() {
    MethodHandle m = method;
    if (m == null) {
      List<Class<?>> types = callArguments(new Values<Class<?>>() {
        @Override
        public Class<?> value(int i) {
          switch (param(i)) {
            case LOGITS:
            case TARGET:
            case WEIGHTS:
            case CLASS_WEIGHTS:
            case SOFT_TARGET:
              return ArrayData.class;
            case TEMPERATURE:
            case LABEL_SMOOTHING:
              return double.class;
            default:
              return long.class;
          }
        }

        @Override
        public Class<?> labelState(int i) {
          return int.class;
        }

        @Override
        public Class<?> constant(Object c) {
          return MethodType.methodType(c.getClass()).unwrap().returnType();
        }

        @Override
        public Class<?> absentArray() {
          return ArrayData.class;
        }
      });
      DataType result = dataType();
      Class<?> returns = result instanceof ArrayType ? ArrayData.class
          : result instanceof StructType ? InternalRow.class
          : result instanceof IntegerType ? int.class : double.class;
      try {
        m = MethodHandles.publicLookup().findVirtual(RowEvaluator.class, function.method(),
            MethodType.methodType(returns, types));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("no RowEvaluator." + function.method() + types, e);
      }
      method = m;
    }
    return m;
  }

  @Override
  public ExprCode doGenCode(CodegenContext ctx, ExprCode ev) {
    String evaluator = ctx.addMutableState(RowEvaluator.class.getName(), "softmaxRow",
        v -> v + " = new " + RowEvaluator.class.getName() + "();", true, true);
    Expression[] in = inputs();
    StringBuilder code = new StringBuilder();
    String[] values = new String[in.length];
    String[] nulls = new String[in.length];
    List<String> nullChecks = new ArrayList<>();
    for (int i = 0; i < in.length; i++) {
      if (isConstant(param(i))) {
        continue;
      }
      ExprCode c = in[i].genCode(ctx);
      code.append(c.code()).append('\n');
      values[i] = c.value().toString();
      nulls[i] = c.isNull().toString();
      nullChecks.add("!" + nulls[i]);
    }
    List<String> args = callArguments(new Values<String>() {
      @Override
      public String value(int i) {
        return function.nullIntolerant() ? values[i]
            : "(" + nulls[i] + " ? " + nullValue(i) + " : " + values[i] + ")";
      }

      @Override
      public String labelState(int i) {
        return "(" + nulls[i] + " ? " + RowResult.LABEL_NULL + " : "
            + RowResult.LABEL_PRESENT + ")";
      }

      @Override
      public String constant(Object c) {
        return c instanceof Long ? c + "L" : String.valueOf(c);
      }

      @Override
      public String absentArray() {
        return "(" + ArrayData.class.getName() + ") null";
      }
    });
    String call = evaluator + "." + function.method() + "(" + String.join(", ", args) + ")";
    String type = CodeGenerator$.MODULE$.javaType(dataType());
    if (!function.nullIntolerant()) {
      code.append(type).append(' ').append(ev.value()).append(" = ").append(call).append(";\n");
      return ev.copy(block(code), FalseLiteral$.MODULE$, ev.value());
    }
    boolean object = dataType() instanceof ArrayType;
    code.append("boolean ").append(ev.isNull()).append(" = true;\n")
        .append(type).append(' ').append(ev.value()).append(" = ")
        .append(CodeGenerator$.MODULE$.defaultValue(dataType(), true)).append(";\n")
        .append("if (").append(String.join(" && ", nullChecks)).append(") {\n")
        .append("  ").append(ev.value()).append(" = ").append(call).append(";\n")
        .append("  ").append(ev.isNull()).append(" = ")
        .append(object ? ev.value() + " == null" : evaluator + ".wasNull()").append(";\n")
        .append("}\n");
    return ev.copy(block(code), ev.isNull(), ev.value());
  }

  /** The Java value standing for a null argument of a null-tolerant function. */
  /**
   * What a null argument is passed as to a function that takes nulls: a label's 0 (its state
   * says null), a temperature's NaN (invalid, as null is), else null.
   */
  private String nullValue(int i) {
    switch (param(i)) {
      case LABEL:
        return "0L";
      case TEMPERATURE:
      case LABEL_SMOOTHING:
        return "java.lang.Double.NaN";
      default:
        return "null";
    }
  }

  private static CodeBlock block(CharSequence code) {
    return new CodeBlock(JavaConverters.asScalaBuffer(List.of(code.toString())).toSeq(),
        JavaConverters.asScalaBuffer(List.<JavaCode>of()).toSeq());
  }
}
