package org.stablesoftmax.udf;

import org.apache.spark.sql.SparkSessionExtensions;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Makes the stable softmax functions available in every session, with no code:
 * {@code --conf spark.sql.extensions=org.stablesoftmax.udf.StableSoftmaxExtensions} and the udf
 * jar on {@code --jars} (spark-submit, spark-sql, spark-shell, pyspark).
 */
public final class StableSoftmaxExtensions extends AbstractFunction1<SparkSessionExtensions,
    BoxedUnit> {

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    for (SoftmaxFunction function : SoftmaxFunction.values()) {
      extensions.injectFunction(new Tuple3<>(StableSoftmaxFunctions.identifier(function),
          StableSoftmaxFunctions.info(function), StableSoftmaxFunctions.builder(function)));
    }
    return BoxedUnit.UNIT;
  }
}
