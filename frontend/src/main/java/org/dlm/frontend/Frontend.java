package org.dlm.frontend;

import java.nio.file.Path;

/**
 * Entry point: .dlm source to checked Graph IR.
 *
 * <pre>{@code
 * Compilation c = Frontend.compile(Path.of("lenet.dlm"));
 * if (!c.ok()) c.diagnostics().forEach(d -> System.err.print(d.render()));
 * Graph g = c.models().get("LeNet");
 * }</pre>
 */
public final class Frontend {
    private Frontend() {}

    /** Reads and compiles a file; an unreadable file is a diagnostic, not an exception. */
    public static Compilation compile(Path file) {
        throw new UnsupportedOperationException("frontend not written yet");
    }

    /** Compiles source text; {@code fileName} is used in diagnostics and to resolve imports relative to it. */
    public static Compilation compile(String fileName, String text) {
        throw new UnsupportedOperationException("frontend not written yet");
    }
}
