package org.stablesoftmax.udf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/** Bit-for-bit comparison of Spark results (NaN equal to NaN, -0.0 unequal to 0.0). */
final class Bits {

  private Bits() {}

  /** A row's values with every double and float replaced by its bits, lists element-wise. */
  static List<Object> of(Row row) {
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < row.size(); i++) {
      out.add(of(row.get(i)));
    }
    return out;
  }

  private static Object of(Object v) {
    if (v instanceof Double) {
      return Double.doubleToLongBits((Double) v);
    }
    if (v instanceof Float) {
      return Float.floatToIntBits((Float) v);
    }
    if (v instanceof scala.collection.Seq) {
      List<Object> out = new ArrayList<>();
      for (Object e : scala.collection.JavaConverters.seqAsJavaList((scala.collection.Seq<?>) v)) {
        out.add(of(e));
      }
      return out;
    }
    return v;
  }

  /** Field {@code i} of {@code row} is null or holds exactly {@code expected}'s bits. */
  static void assertDouble(String what, Row row, int i, Double expected) {
    Object actual = row.isNullAt(i) ? null : of(row.getDouble(i));
    assertThat(actual).as(what + " (expected " + expected + ", got " + row.get(i) + ")")
        .isEqualTo(expected == null ? null : of(expected));
  }

  /** Field {@code i} is null or the array {@code expected} (double[], float[] or int[]). */
  static void assertArray(String what, Row row, int i, Object expected) {
    Object actual = row.isNullAt(i) ? null : of(row.get(i));
    assertThat(actual).as(what).isEqualTo(expected == null ? null : of(boxed(expected)));
  }

  private static Object boxed(Object array) {
    List<Object> out = new ArrayList<>();
    if (array instanceof double[]) {
      for (double v : (double[]) array) {
        out.add(v);
      }
    } else if (array instanceof float[]) {
      for (float v : (float[]) array) {
        out.add(v);
      }
    } else {
      for (int v : (int[]) array) {
        out.add(v);
      }
    }
    return scala.collection.JavaConverters.asScalaBuffer(out).toSeq();
  }
}
