package org.stablesoftmax.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * McNemar's exact p-value, {@code min(1, 2 P(X <= min(b01, b10)))} for X binomial (b01 + b10,
 * 1/2), as statsmodels' {@code mcnemar(table, exact=True)}: small counts against the exact
 * fraction, counts in the millions against a 50-digit BigDecimal reference, both within 1e-12
 * relative (most within a few ulps).
 */
class McNemarTest {

  private static double relativeError(double got, BigDecimal expected) {
    return new BigDecimal(got).subtract(expected).abs()
        .divide(expected, MathContext.DECIMAL64).doubleValue();
  }

  @ParameterizedTest(name = "b01 = {0}, b10 = {1}")
  @CsvSource({"0, 0", "0, 1", "1, 0", "1, 1", "0, 5", "5, 0", "2, 9", "9, 2", "3, 4", "10, 30",
      "25, 25", "24, 26", "1, 60", "100, 140", "333, 400", "0, 1000", "40, 1000",
      "1500, 1200", "10, 1074", "20, 42", "7, 49", "27, 29", "30, 32"})
  void smallCountsGiveTheExactFraction(long b01, long b10) {
    BigDecimal expected = McNemarReference.exact(b01, b10);
    double p = McNemar.pValue(b01, b10);
    assertThat(relativeError(p, expected)).as("p = %s, exactly %s", p, expected)
        .isLessThanOrEqualTo(1e-12);
    if (b01 + b10 <= 56) {
      // correctly rounded: the nearest double to the exact fraction
      assertThat(p).isEqualTo(expected.doubleValue());
    }
    assertThat(McNemarReference.reference(b01, b10).subtract(expected).abs()
        .compareTo(expected.movePointLeft(40))).as("the reference").isLessThanOrEqualTo(0);
  }

  @Test
  void theEdgesAreExact() {
    assertThat(McNemar.pValue(0, 0)).isEqualTo(1.0);
    assertThat(McNemar.pValue(7, 7)).isEqualTo(1.0);
    // P(X <= 3) of n = 7 is 1/2 exactly
    assertThat(McNemar.pValue(3, 4)).isEqualTo(1.0);
    assertThat(McNemar.pValue(0, 5)).isEqualTo(0.0625);
    assertThat(McNemar.pValue(0, 1074)).isEqualTo(Math.scalb(1.0, -1073));
    assertThat(McNemar.pValue(2, 3)).isEqualTo(1.0);
    // 2 (1 + 10) / 2^10
    assertThat(McNemar.pValue(1, 9)).isEqualTo(22.0 / 1024);
    assertThatThrownBy(() -> McNemar.pValue(-1, 3)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "b01 = {0}, b10 = {1}")
  @CsvSource({"999000, 1001000", "995000, 1005000", "990000, 1010000", "1003100, 996700",
      "1500000, 1502000", "2999000, 3000000", "499000, 503000"})
  void countsInTheMillionsMatchTheBigDecimalReference(long b01, long b10) {
    BigDecimal expected = McNemarReference.reference(b01, b10);
    double p = McNemar.pValue(b01, b10);
    assertThat(relativeError(p, expected)).as("p = %s, reference %s", p,
        expected.round(new MathContext(20))).isLessThanOrEqualTo(1e-12);
  }

  @Test
  void theLogarithmHoldsWhereThePValueUnderflows() {
    // n = 2,000,000 at 30 standard deviations: p is about 1e-197, its log to 1e-12 relative
    BigDecimal p = McNemarReference.reference(970000, 1030000);
    double log10 = Math.log10(p.unscaledValue().doubleValue()) - p.scale()
        + 0.0; // unscaled value has 50 digits: its log10 is exact to a double
    assertThat(Math.abs(McNemar.log10PValue(970000, 1030000) - log10))
        .isLessThanOrEqualTo(1e-12 * Math.abs(log10));
    // far beyond the smallest double: the p-value is 0, its log finite and near -n/2 log10(e)...
    double deep = McNemar.log10PValue(100, 2_000_000);
    assertThat(McNemar.pValue(100, 2_000_000)).isZero();
    assertThat(deep).isFinite().isLessThan(-500_000);
  }
}
