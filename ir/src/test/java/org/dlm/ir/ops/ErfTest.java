package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

/** The erf implementation against an independent high-precision series and a continued fraction. */
class ErfTest {
    static final MathContext MC = new MathContext(50);
    // 2/sqrt(pi) to 50 digits
    static final BigDecimal TWO_OVER_SQRT_PI = new BigDecimal("1.1283791670955125738961589031215451716881012586580");

    /** Maclaurin series erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)), in 50-digit arithmetic. */
    static double seriesErf(double xd) {
        BigDecimal x = new BigDecimal(xd), x2 = x.multiply(x, MC);
        BigDecimal term = x, sum = BigDecimal.ZERO; // term = (-1)^n x^(2n+1) / n!
        for (int n = 0; n < 400; n++) {
            sum = sum.add(term.divide(BigDecimal.valueOf(2L * n + 1), MC), MC);
            term = term.multiply(x2, MC).divide(BigDecimal.valueOf(n + 1), MC).negate();
            if (term.abs().compareTo(new BigDecimal("1e-45")) < 0) break;
        }
        return sum.multiply(TWO_OVER_SQRT_PI, MC).doubleValue();
    }

    /** erfc(x) for x >= 3 by the Laplace continued fraction, evaluated bottom-up. */
    static double continuedFractionErfc(double x) {
        double f = 0;
        for (int k = 200; k >= 1; k--) f = (k / 2.0) / (x + f);
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
    }

    @Test void erfAgreesWithSeriesOnMinusFourToFour() {
        for (int i = -200; i <= 200; i++) {
            double x = i * 0.02 + 0.003;
            double want = seriesErf(x);
            assertEquals(want, Erf.erf(x), Math.abs(want) * 2e-15, "erf(" + x + ")");
        }
    }

    @Test void erfcAgreesWithContinuedFractionInTheTail() {
        for (double x = 3; x < 26; x += 0.37) {
            double want = continuedFractionErfc(x);
            assertEquals(want, Erf.erfc(x), want * 1e-13, "erfc(" + x + ")");
            assertEquals(2 - want, Erf.erfc(-x), 1e-15, "erfc(" + -x + ")");
        }
        assertEquals(0.0, Erf.erfc(27));
    }

    @Test void oddSymmetry() {
        for (double x = 0; x < 6; x += 0.0625) assertEquals(-Erf.erf(x), Erf.erf(-x));
    }
}
