package org.dlm.frontend;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.dlm.frontend.check.Compiler;

/**
 * Entry point: .dlm source to checked Graph IR. Never throws for a user mistake: every problem,
 * including an unreadable file or a pathologically nested source, is a {@link Diagnostic}.
 *
 * <pre>{@code
 * Compilation c = Frontend.compile(Path.of("lenet.dlm"));
 * if (!c.ok()) c.diagnostics().forEach(d -> System.err.print(d.render()));
 * Graph g = c.models().get("LeNet");
 * }</pre>
 */
public final class Frontend {
    /** Stack of the compiling thread: deep (but legal) nesting must not overflow. */
    private static final long STACK_BYTES = 256L << 20;

    private Frontend() {}

    /** Reads and compiles a file; an unreadable file is a diagnostic, not an exception. */
    public static Compilation compile(Path file) {
        String name = file.toString();
        String text;
        try {
            if (Files.isDirectory(file)) return failure(name, "cannot read file: it is a directory", "give a .dlm file");
            if (Files.exists(file) && Files.size(file) > 4L * Compiler.MAX_SOURCE_CHARS)
                return failure(name, "file is too large (" + Files.size(file) + " bytes)", "a model file is a few kilobytes");
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return failure(name, "file is not valid UTF-8 text", null);
        } catch (java.nio.file.NoSuchFileException e) {
            return failure(name, "cannot read file: no such file", null);
        } catch (IOException | SecurityException | OutOfMemoryError e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return failure(name, "cannot read file: " + why, null);
        }
        return compile(name, text, file.toAbsolutePath().getParent());
    }

    /** Compiles source text; {@code fileName} is used in diagnostics and to resolve imports relative to it. */
    public static Compilation compile(String fileName, String text) {
        Path base;
        try {
            Path p = Path.of(fileName).toAbsolutePath().getParent();
            base = p;
        } catch (InvalidPathException | java.io.IOError e) {
            base = null;
        }
        return compile(fileName, text, base);
    }

    private static Compilation compile(String fileName, String text, Path baseDir) {
        AtomicReference<Compilation> result = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(Compiler.compile(fileName, text, baseDir));
            } catch (StackOverflowError e) {
                result.set(failure(fileName, "the program is nested too deeply to compile", "split deep expressions with let bindings"));
            } catch (OutOfMemoryError e) {
                result.set(failure(fileName, "out of memory while compiling", "the source or the model is too large"));
            } catch (RuntimeException e) {
                // a compiler bug, still reported as a diagnostic rather than a stack trace
                result.set(failure(fileName, "internal compiler error: " + e, "please report this with the source file"));
            }
        }, "dlm-frontend", STACK_BYTES);
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure(fileName, "compilation was interrupted", null);
        }
        return result.get();
    }

    private static Compilation failure(String file, String message, String hint) {
        return new Compilation(List.of(new Diagnostic(Diagnostic.Severity.ERROR, file, 1, 1, 0, message, hint, null)), Map.of(), Map.of());
    }
}
