package org.dlm.testmodels;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Diagnostic;
import org.dlm.frontend.Frontend;
import org.junit.jupiter.api.Test;

/**
 * Feeds 10,000 seeded mutations of real .dlm sources (the reference models and the std library)
 * through the frontend: deleted, duplicated, swapped and replaced tokens, random bytes, huge
 * literals, deep nesting, truncation. No input may throw, hang (2 s each) or be rejected without
 * a positioned diagnostic, and none may hit an internal compiler error. A second run of 1,500
 * syntax-preserving mutations (numbers and names replaced) exercises the checker the same way.
 */
class FrontendFuzzTest {
    private static final int CASES = 10_000;
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*|[0-9][0-9_.eE+-]*|\\s+|\"[^\"\\n]*\"|//[^\\n]*|\\.\\.\\.?|[-=!<>*]=?|\\*\\*|->|.", Pattern.DOTALL);
    private static final String[] SNIPPETS = {
            "(", ")", "[", "]", "{", "}", ",", ":", ";", "=", "..", "...", "->", "@", "**", "let", "param", "buffer", "forward",
            "return", "if", "then", "else", "for", "in", "model", "fn", "train", "import", "none", "true", "prim.", "Sequential",
            "f32[", "B", "0", "-1", "1e-3", "\"s\"", "x", "\u00e9", "\t", "\n", "\\", "#", "'", "`", "$",
            "99999999999999999999999999", "1e99999", "9223372036854775807", "-9223372036854775808", "0..1000000000",
            "f32[100000, 100000, 100000]", "/*", "*/", "//"};

    static String resource(String path) {
        try (InputStream in = FrontendFuzzTest.class.getClassLoader().getResourceAsStream(path)) {
            assertNotNull(in, path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static List<String> tokens(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    static String mutate(List<String> toks, Random rnd) {
        List<String> t = new ArrayList<>(toks);
        int edits = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 20 : 3);
        for (int e = 0; e < edits && !t.isEmpty(); e++) {
            int i = rnd.nextInt(t.size());
            switch (rnd.nextInt(10)) {
                case 0, 1 -> t.remove(i);
                case 2 -> t.add(i, t.get(i));
                case 3 -> { int j = Math.min(t.size() - 1, i + 1 + rnd.nextInt(4)); String a = t.get(i); t.set(i, t.get(j)); t.set(j, a); }
                case 4 -> t.set(i, t.get(rnd.nextInt(t.size())));
                case 5 -> t.add(i, SNIPPETS[rnd.nextInt(SNIPPETS.length)]);
                case 6 -> {
                    StringBuilder sb = new StringBuilder();
                    for (int k = rnd.nextInt(8); k >= 0; k--) sb.append((char) rnd.nextInt(rnd.nextBoolean() ? 128 : 0xD7FF));
                    t.add(i, sb.toString());
                }
                case 7 -> {
                    int n = rnd.nextInt(3) == 0 ? 100 + rnd.nextInt(5000) : 1 + rnd.nextInt(60);
                    String open = rnd.nextBoolean() ? "(" : rnd.nextBoolean() ? "[" : "-";
                    String close = open.equals("(") ? ")" : open.equals("[") ? "]" : "";
                    t.add(i, open.repeat(n) + "x" + close.repeat(rnd.nextInt(4) == 0 ? n / 2 : n));
                }
                case 8 -> {
                    int j = Math.min(t.size(), i + 1 + rnd.nextInt(40));
                    List<String> region = new ArrayList<>(t.subList(i, j));
                    t.addAll(j, region);
                }
                default -> { if (rnd.nextInt(4) == 0) t.subList(i, t.size()).clear(); else t.set(i, SNIPPETS[rnd.nextInt(SNIPPETS.length)]); }
            }
        }
        return String.join("", t);
    }

    private static final String[] VALUES = {"0", "1", "-1", "2", "3", "7", "1000000", "2147483648", "4611686018427387904",
            "9223372036854775807", "-9223372036854775808", "0.5", "1e308", "none", "[]", "[1, 2]", "true", "\"s\"", "x", "B"};
    private static final Pattern NUMBER = Pattern.compile("(?<![A-Za-z_0-9.])[0-9]+(\\.[0-9]+)?(?![A-Za-z_0-9])");
    private static final Pattern NAME = Pattern.compile("(?<![A-Za-z_0-9.])[a-z_][A-Za-z_0-9]*(?![A-Za-z_0-9])");

    /** Keeps the syntax valid and replaces numbers or names, so that the checker (not the parser) sees the mistake. */
    static String mutateValues(String src, Random rnd) {
        Matcher m = (rnd.nextBoolean() ? NUMBER : NAME).matcher(src);
        List<int[]> spans = new ArrayList<>();
        List<String> words = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
            words.add(m.group());
        }
        StringBuilder sb = new StringBuilder(src);
        List<int[]> pick = new ArrayList<>();
        for (int e = 1 + rnd.nextInt(3); e > 0; e--) pick.add(spans.get(rnd.nextInt(spans.size())));
        pick.sort((x, y) -> y[0] - x[0]);
        int last = Integer.MAX_VALUE;
        for (int[] sp : pick) {
            if (sp[1] > last) continue;
            sb.replace(sp[0], sp[1], rnd.nextBoolean() ? VALUES[rnd.nextInt(VALUES.length)] : words.get(rnd.nextInt(words.size())));
            last = sp[0];
        }
        return sb.toString();
    }

    @Test
    void checkerMistakesAlwaysGetDiagnostics() throws Exception {
        List<String> seeds = List.of(resource("models/mlp.dlm"), resource("models/lenet.dlm"), resource("examples/text_classifier.dlm"));
        Random rnd = new Random(7);
        int accepted = 0;
        for (int k = 0; k < 1500; k++) {
            final int n = k;
            String text = mutateValues(seeds.get(rnd.nextInt(seeds.size())), rnd);
            Compilation c = Frontend.compile("values" + n + ".dlm", text);
            for (Diagnostic d : c.diagnostics()) {
                assertFalse(d.message().startsWith("internal compiler error") || d.message().startsWith("invalid use of"),
                        () -> "case " + n + ": " + d.render() + "\n" + text);
                assertTrue(d.line() >= 1 && d.column() >= 1, () -> "case " + n + " position: " + d.render());
            }
            if (c.ok()) accepted++;
            else assertTrue(c.diagnostics().stream().anyMatch(d -> d.severity() == Diagnostic.Severity.ERROR), "case " + n);
        }
        assertTrue(accepted > 0 && accepted < 1500, "accepted " + accepted);
    }

    @Test
    void mutatedSourcesNeverCrashHangOrFailSilently() throws Exception {
        List<String> seeds = new ArrayList<>();
        for (String m : List.of("mlp", "lenet", "resnet20", "mobilenet", "transformer")) seeds.add(resource("models/" + m + ".dlm"));
        for (String s : List.of("std/nn.dlm", "std/ops.dlm", "std/losses.dlm")) seeds.add(resource(s));
        List<List<String>> seedTokens = seeds.stream().map(FrontendFuzzTest::tokens).toList();

        Random rnd = new Random(20261125);
        ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "fuzz");
            th.setDaemon(true);
            return th;
        });
        int accepted = 0, rejected = 0;
        long start = System.nanoTime();
        try {
            for (int k = 0; k < CASES; k++) {
                final int n = k;
                // favour the small seeds: most of the time goes into elaborating the big models
                int s = rnd.nextInt(4) == 0 ? rnd.nextInt(seeds.size()) : rnd.nextInt(2);
                String text = mutate(seedTokens.get(s), rnd);
                String name = "fuzz" + n + ".dlm";
                Future<Compilation> f = exec.submit(() -> Frontend.compile(name, text));
                Compilation c;
                try {
                    c = f.get(2, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    fail("case " + n + " takes more than 2 s:\n" + text);
                    return;
                }
                assertNotNull(c, "case " + n);
                for (Diagnostic d : c.diagnostics()) {
                    assertFalse(d.message().startsWith("internal compiler error"), () -> "case " + n + ": " + d.render() + "\n" + text);
                    assertTrue(d.line() >= 1 && d.column() >= 1, () -> "case " + n + " position: " + d.render());
                    assertNotNull(d.file());
                    assertNotNull(d.render());
                }
                if (c.ok()) {
                    accepted++;
                } else {
                    rejected++;
                    assertTrue(c.diagnostics().stream().anyMatch(d -> d.severity() == Diagnostic.Severity.ERROR), "case " + n);
                    assertTrue(c.models().isEmpty());
                }
            }
        } finally {
            exec.shutdownNow();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(CASES, accepted + rejected);
        assertTrue(rejected > CASES / 2, "most mutations are errors: " + rejected);
        assertTrue(accepted > 0, "some mutations stay valid");
        System.out.println("fuzz: " + CASES + " cases, " + accepted + " accepted, " + rejected + " rejected, " + ms + " ms");
    }
}
