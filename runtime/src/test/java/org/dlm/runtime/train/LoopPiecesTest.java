package org.dlm.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.xml.parsers.DocumentBuilderFactory;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoopPiecesTest {
    static Map<String, Double> m(Object... kv) {
        Map<String, Double> r = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) r.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        return r;
    }

    @Test void plainProgressLinesWhenNotATerminal() {
        var buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), false, now::get);
        p.onTrainBegin(2);
        p.onEpochBegin(0, 20);
        for (int s = 0; s < 20; s++) {
            now.addAndGet(50_000_000L);   // 50 ms per step of 32 samples
            p.onStep(new StepEvent(0, s, 20, s + 1, 32, 1.0 / (s + 1), 0.01));
        }
        p.onEpochEnd(new EpochEvent(0, 2, m("train.loss", 0.25, "val.accuracy", 0.9), 61));
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(11, lines.length);
        assertEquals("epoch 1/2 step 2/20 loss 0.5000  640 samples/s  ETA 0:01", lines[0]);
        assertEquals("epoch 1/2 step 20/20 loss 0.0500  640 samples/s  ETA 0:00", lines[9]);
        assertEquals("epoch 1/2 done in 1:01  train.loss 0.2500  val.accuracy 0.9000", lines[10]);
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test void terminalProgressRedrawsOneLine() {
        var buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), true, now::get);
        p.onTrainBegin(1);
        p.onEpochBegin(0, 4);
        for (int s = 0; s < 4; s++) {
            now.addAndGet(s == 1 ? 1_000_000L : 200_000_000L);   // step 2 comes too soon to redraw
            p.onStep(new StepEvent(0, s, 4, s + 1, 10, 2.0, 0.1));
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(3, out.split("\r", -1).length - 1);
        assertTrue(out.contains("\repoch 1/1 [======>                 ] 1/4 loss 2.0000  50 samples/s  ETA 0:01"), out);
        assertTrue(out.endsWith("[========================] 4/4 loss 2.0000  67 samples/s  ETA 0:00"), out);
        assertEquals("1:00:05", Progress.time(3605));
    }

    @Test void jsonLines() throws Exception {
        var w = new StringWriter();
        try (var log = new JsonLinesLog(w, 2)) {
            log.onStep(new StepEvent(0, 0, 3, 1, 8, 0.5, 0.001));
            log.onStep(new StepEvent(0, 1, 3, 2, 8, 0.25, 1e-5));
            log.onEpochEnd(new EpochEvent(0, 1, m("val.loss", Double.NaN, "val.accuracy", 1), 1.5));
        }
        assertEquals("""
                {"event":"step","epoch":0,"step":1,"global_step":2,"samples":8,"loss":0.25,"lr":1.0E-5}
                {"event":"epoch","epoch":0,"seconds":1.5,"metrics":{"val.loss":null,"val.accuracy":1}}
                """, w.toString());
        assertEquals("\"a\\\"b\\\\c\\n\\u0001\"", org.dlm.runtime.io.JsonText.quote("a\"b\\c\n\u0001"));
    }

    @Test void earlyStoppingKeepsBestParameters() {
        NdArray[] current = {NdArray.scalar(DType.F32, 0)};
        var stop = new EarlyStopping("val.accuracy", true, 2, 0.01, () -> Map.of("w", current[0]));
        double[] acc = {0.5, 0.7, 0.705, 0.69, 0.8};
        boolean[] stopAfter = {false, false, false, true};
        for (int e = 0; e < 4; e++) {
            current[0] = NdArray.scalar(DType.F32, e);
            stop.onEpochEnd(new EpochEvent(e, 10, m("val.accuracy", acc[e]), 1));
            assertEquals(stopAfter[e], stop.shouldStop(), "epoch " + e);
        }
        assertEquals(1, stop.bestEpoch());
        assertEquals(0.7, stop.bestValue());
        assertEquals(NdArray.scalar(DType.F32, 1), stop.best().get("w"));
        var lossStop = new EarlyStopping("val.loss", false, 0, 0, Map::of);
        assertNull(lossStop.best());
        assertEquals("early stopping watches 'val.loss', but the epoch reported only train.loss",
                assertThrows(IllegalStateException.class, () -> lossStop.onEpochEnd(new EpochEvent(0, 1, m("train.loss", 1), 1))).getMessage());
    }

    @Test void niceTicks() {
        assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8, 1.0}, SvgPlot.ticks(0.03, 0.97), 1e-12);
        assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10}, SvgPlot.ticks(1, 10), 1e-12);
        assertArrayEquals(new double[] {2, 2.05, 2.1, 2.15, 2.2, 2.25, 2.3}, SvgPlot.ticks(2.01, 2.29), 1e-12);
        assertEquals(3, SvgPlot.ticks(5, 5).length > 2 ? 3 : 0);   // a flat series still gets an axis
    }

    @Test void curvesAreWellFormedSvgWithLegendAndTicks(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("curves.svg");
        var curves = new TrainingCurves(f);
        curves.onEpochEnd(new EpochEvent(0, 3, m("train.loss", 1.2, "val.loss", 1.3, "val.accuracy", 0.6), 1));
        curves.onEpochEnd(new EpochEvent(1, 3, m("train.loss", 0.7, "val.loss", 0.9, "val.accuracy", 0.8), 1));
        String svg = Files.readString(f);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(3, doc.getElementsByTagName("polyline").getLength());
        for (String s : List.of(">loss<", ">metrics<", ">train.loss<", ">val.loss<", ">val.accuracy<", ">epoch<", ">0.60<", ">0.80<"))
            assertTrue(svg.contains(s), s);
        assertEquals(svg, curves.svg());
    }
}
