package org.dlm.ir;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DimTest {
    private static final Dim B = Dim.sym("B"), T = Dim.sym("T"), H = Dim.sym("H");

    @Test void algebraIsCanonical() {
        assertEquals(B.times(T), T.times(B));
        assertEquals(B.plus(B), B.times(2));
        assertEquals(Dim.of(0), B.minus(B));
        assertTrue(B.minus(B).isConst());
        assertEquals(7, Dim.of(3).plus(Dim.of(4)).value());
        assertEquals(B.times(T).plus(1), Dim.parse("1 + T*B"));
        assertEquals(B, B.times(4).floorDiv(4), "exact division cancels");
        assertEquals(List.of("B", "T"), B.times(T).plus(H.minus(H)).symbols());
    }

    @Test void floorAndCeilDivision() {
        Dim conv = H.minus(3).floorDiv(2).plus(1);          // (H-3)/2+1
        assertEquals(13, conv.eval(Map.of("H", 28L)));
        assertEquals(14, conv.eval(Map.of("H", 29L)));
        assertEquals(Dim.of(4), Dim.of(7).ceilDiv(2));
        assertEquals(4, H.ceilDiv(2).eval(Map.of("H", 7L)));
        assertEquals(-2, Dim.of(-3).floorDiv(2).value(), "floor, not truncation");
        assertEquals(Dim.of(13), conv.substitute(Map.of("H", 28L)));
        assertEquals(conv, conv.substitute(Map.of("B", 3L)), "unrelated symbols leave the dim unchanged");
    }

    @Test void evalNeedsEverySymbol() {
        var e = assertThrows(IllegalArgumentException.class, () -> B.times(T).eval(Map.of("B", 2L)));
        assertTrue(e.getMessage().contains("T"), e.getMessage());
        assertThrows(IllegalStateException.class, B::value);
    }

    @Test void textRoundTrips() {
        Dim fd = H.minus(3).floorDiv(2);
        List<Dim> dims = List.of(Dim.of(0), Dim.of(28), Dim.of(-1), B, B.times(T), B.times(2).plus(1), B.minus(T),
                Dim.of(5).minus(B), B.times(B).times(3), H.minus(3).floorDiv(2).plus(1), fd.times(2), fd.times(-1),
                fd.times(B), B.times(fd), fd.times(fd), fd.minus(1).floorDiv(2).plus(1), H.ceilDiv(4).times(B).minus(7));
        for (Dim d : dims) {
            Dim back = Dim.parse(d.toString());
            assertEquals(d, back, "round trip of " + d);
            assertEquals(d.toString(), back.toString());
        }
        assertEquals("(H-3)/2+1", H.minus(3).floorDiv(2).plus(1).toString());
        assertEquals("2*((H-3)/2)", fd.times(2).toString());
    }

    @Test void parseRejectsGarbage() {
        for (String bad : List.of("", "B+", "(B", "B/T", "3 4", "B$"))
            assertThrows(IllegalArgumentException.class, () -> Dim.parse(bad), bad);
    }
}
