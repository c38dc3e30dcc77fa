package org.dlm.frontend;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rendered diagnostics: exact text for typical mistakes, and several errors reported at once. */
class DiagnosticsTest {
    private static final String LINEAR = """
            fn Linear(in: int, out: int) {
                param weight: f32[out, in] = kaiming_uniform(fan_in = in)
                param bias: f32[out] = zeros()
                forward(x: f32[..., in]) -> f32[..., out] { return prim.linear(x, weight, bias) }
            }
            """;

    static String render(Compilation c) {
        StringBuilder sb = new StringBuilder();
        c.diagnostics().forEach(d -> sb.append(d.render()));
        return sb.toString();
    }

    @Test
    void linearGivenAnUnflattenedInputSuggestsFlatten() {
        Compilation c = Frontend.compile("lenet.dlm", LINEAR + """
                model LeNet {
                    fc1 = Linear(16 * 5 * 5, 120)
                    forward(h2: f32[B, 16, 5, 5]) -> f32[B, 120] {
                        return fc1(h2)
                    }
                }
                """);
        assertFalse(c.ok());
        assertEquals("""
                lenet.dlm:9:16: error: Linear expects f32[..., 400], got f32[B, 16, 5, 5]
                 9 |         return fc1(h2)
                   |                ^^^^^^^
                   hint: flatten the input first: fc1(flatten(h2))
                """, render(c));
        assertTrue(c.models().isEmpty());
    }

    @Test
    void syntaxErrorNamesTheUnexpectedToken() {
        Compilation c = Frontend.compile("bad.dlm", """
                model M {
                    forward(x: f32[B, 4]) { return x + }
                }
                """);
        assertEquals("""
                bad.dlm:2:40: error: unexpected '}'
                 2 |     forward(x: f32[B, 4]) { return x + }
                   |                                        ^
                """, render(c).replaceAll("   hint: .*\n", ""));
    }

    @Test
    void allErrorsOfAFileAreReportedAtOnce() {
        Compilation c = Frontend.compile("many.dlm", LINEAR + """
                model M {
                    fc = Linear(4, 2, bias = true)
                    param w: f32[2] = glorot()
                    forward(x: f32[B, 4]) -> f32[B, 2] {
                        return fc(x) + undefined_thing
                    }
                }
                train M {
                    data = mnist("data/mnist")
                    loss = cross_entropy(logits, labels)
                    optimizer = adam(lr = 1e-3)
                    epochz = 3
                }
                """);
        // every error at once, in source order
        List<String> messages = c.diagnostics().stream().map(d -> d.line() + ":" + d.column() + " " + d.message()).toList();
        assertEquals(List.of(
                "7:23 Linear has no parameter 'bias'",
                "8:23 unknown initializer 'glorot'",
                "10:24 unknown name 'undefined_thing'",
                "17:5 unknown train setting 'epochz'"), messages);
        assertEquals("did you mean 'epochs'?", c.diagnostics().getLast().hint());
    }

    @Test
    void unknownStdFunctionSuggestsTheImport() {
        Compilation c = Frontend.compile("m.dlm", """
                model M {
                    forward(x: f32[B, 4]) { return relu(x) }
                }
                """);
        // std.ops is not on this module's test class path, so the hint is generic; the error is precise
        assertEquals(1, c.diagnostics().size());
        assertEquals("unknown name 'relu'", c.diagnostics().get(0).message());
        assertEquals(2, c.diagnostics().get(0).line());
        assertEquals(36, c.diagnostics().get(0).column());
    }

    @Test
    void unreadableFileIsADiagnostic(@TempDir Path dir) throws Exception {
        Compilation missing = Frontend.compile(dir.resolve("nope.dlm"));
        assertFalse(missing.ok());
        assertTrue(missing.diagnostics().get(0).render().startsWith(dir.resolve("nope.dlm") + ":1:1: error: cannot read file"));
        Compilation directory = Frontend.compile(dir);
        assertEquals("cannot read file: it is a directory", directory.diagnostics().get(0).message());
        Path binary = dir.resolve("bin.dlm");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertEquals("file is not valid UTF-8 text", Frontend.compile(binary).diagnostics().get(0).message());
    }

    @Test
    void hugeParametersAreRefusedNotAllocated() {
        Compilation c = Frontend.compile("big.dlm", """
                model Big {
                    param w: f32[100000, 100000, 100000] = zeros()
                    forward(x: f32[B, 4]) { return x }
                }
                """);
        assertFalse(c.ok());
        assertEquals("parameters of model Big would take more than 1024 GiB ('w' alone: f32[100000, 100000, 100000])",
                c.diagnostics().get(0).message());
        Compilation overflow = Frontend.compile("big.dlm", """
                model Big {
                    param w: f32[9223372036854775807, 9223372036854775807] = zeros()
                    forward(x: f32[B, 4]) { return x }
                }
                """);
        assertFalse(overflow.ok());
        assertEquals(2, overflow.diagnostics().get(0).line());
    }

    @Test
    void hugeLiteralsAreDiagnostics() {
        Compilation c = Frontend.compile("lit.dlm", """
                model M {
                    let n = 123456789012345678901234567890
                    let f = 1e999
                    forward(x: f32[B, 4]) { return x }
                }
                """);
        assertEquals(List.of("integer literal 12345678901234567890... is too large", "number 1e999 is too large"),
                c.diagnostics().stream().map(Diagnostic::message).toList());
    }

    @Test
    void deepNestingIsRefusedWithoutStackOverflow() {
        String deep = "model M { forward(x: f32[B]) { return " + "(".repeat(100_000) + "x" + ")".repeat(100_000) + " } }";
        Compilation c = Frontend.compile("deep.dlm", deep);
        assertFalse(c.ok());
        assertEquals("brackets nested more than 200 levels deep", c.diagnostics().get(0).message());

        String unary = "model M { forward(x: f32[B]) { let n = " + "-".repeat(50_000) + "1\n return x } }";
        Compilation u = Frontend.compile("unary.dlm", unary);
        assertEquals("more than 200 operators in a row", u.diagnostics().get(0).message());

        String chain = "model M { forward(x: f32[B]) { let n = " + "1 + ".repeat(50_000) + "1\n return x } }";
        Compilation ch = Frontend.compile("chain.dlm", chain);
        assertEquals("expression nested more than 1000 levels deep", ch.diagnostics().get(0).message());
        String ok = "model M { forward(x: f32[B]) { let n = " + "1 + ".repeat(900) + "1\n return x } }";
        assertTrue(Frontend.compile("chain.dlm", ok).ok());
    }

    @Test
    void endlessRecursionIsADiagnostic() {
        Compilation c = Frontend.compile("rec.dlm", """
                fn f(n: int) = f(n + 1)
                model M {
                    let k = f(0)
                    forward(x: f32[B, 4]) { return x }
                }
                """);
        assertFalse(c.ok());
        assertEquals("calls nested more than 100 deep", c.diagnostics().get(0).message());
        Compilation loop = Frontend.compile("loop.dlm", """
                fn count(n: int) {
                    let s = 0
                    for i in 0..n { for j in 0..n { s = s + 1 } }
                    return s
                }
                model M {
                    let k = count(100000)
                    forward(x: f32[B, 4]) { return x }
                }
                """);
        assertFalse(loop.ok());
        assertTrue(loop.diagnostics().get(0).message().startsWith("evaluation takes more than"), render(loop));
    }

    @Test
    void badCharactersAndUnterminatedStrings() {
        Compilation c = Frontend.compile("chars.dlm", "model M { # comment\n let s = \"abc\n }");
        assertEquals(List.of("1:11 unexpected character '#'", "2:10 unterminated string"),
                c.diagnostics().stream().map(d -> d.line() + ":" + d.column() + " " + d.message()).toList());
        assertEquals("comments start with //", c.diagnostics().get(0).hint());
    }

    @Test
    void renderingHandlesTabsAndLongLines() {
        Compilation tab = Frontend.compile("tab.dlm", "model M {\n\tforward(x: f32[B]) { return y }\n}\n");
        assertEquals("""
                tab.dlm:2:30: error: unknown name 'y'
                 2 |  forward(x: f32[B]) { return y }
                   |                              ^
                """, render(tab).replaceAll("   hint: .*\n", ""));
        String longLine = "model M { forward(x: f32[B]) { let a = [" + "1, ".repeat(300) + "] return zzz } }";
        Compilation c = Frontend.compile("long.dlm", longLine);
        String[] lines = render(c).split("\n");
        assertTrue(lines[1].length() < 200, lines[1]);
        assertEquals(lines[1].indexOf("zzz"), lines[2].indexOf('^'));
    }

    @Test
    void unusedLayersAndParamsAreWarnings() {
        Compilation c = Frontend.compile("unused.dlm", LINEAR + """
                model M {
                    fc = Linear(4, 2)
                    extra = Linear(4, 4)
                    param spare: f32[3] = zeros()
                    forward(x: f32[B, 4]) { return fc(x) }
                }
                """);
        assertTrue(c.ok());
        assertEquals(List.of("WARNING 8:13 'extra' is never used by the forward of model M",
                        "WARNING 9:11 parameter 'spare' is never used by the forward of model M"),
                c.diagnostics().stream().map(d -> d.severity() + " " + d.line() + ":" + d.column() + " " + d.message()).toList());
        assertEquals(5, c.models().get("M").params().size());
    }
}
