package org.dlm.frontend.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dlm.frontend.Diagnostic;
import org.dlm.frontend.ast.Span;

/**
 * Collects diagnostics of one compilation. Identical reports (same place, same message) are kept
 * once, so a mistake in a layer used ten times is reported once.
 */
public final class Reporter {
    private static final int MAX_ERRORS = 100;

    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private final Set<String> errorPlaces = new HashSet<>();
    private int errors;

    public void error(Span span, String message, String hint) {
        add(Diagnostic.Severity.ERROR, span, message, hint);
    }

    public void error(Span span, String message) { error(span, message, null); }

    public void warning(Span span, String message, String hint) {
        add(Diagnostic.Severity.WARNING, span, message, hint);
    }

    /** An error not tied to a place in a source (e.g. an unreadable file). */
    public void error(String file, String message, String hint) {
        if (!seen.add(file + "\0" + message)) return;
        errors++;
        diagnostics.add(new Diagnostic(Diagnostic.Severity.ERROR, file, 1, 1, 0, message, hint, null));
    }

    private final java.util.ArrayDeque<Span> callSites = new java.util.ArrayDeque<>();

    /** Enters a call made at {@code site}; errors inside the std library are shown at the innermost user call. */
    public void enterCall(Span site) { callSites.push(site); }

    public void exitCall() { callSites.pop(); }

    private void add(Diagnostic.Severity sev, Span span, String message, String hint) {
        if (isLibrary(span)) {
            for (Span site : callSites) {
                if (!isLibrary(site)) {
                    String where = "in " + span.source().name() + ":" + span.line();
                    hint = hint == null ? where : hint + " (" + where + ")";
                    span = site;
                    break;
                }
            }
        }
        if (sev == Diagnostic.Severity.ERROR && errors >= MAX_ERRORS) return;
        String key = span.source().name() + ":" + span.start() + ":" + message;
        if (!seen.add(key)) return;
        if (sev == Diagnostic.Severity.ERROR) {
            errors++;
            errorPlaces.add(span.source().name() + ":" + span.start());
        }
        String line = span.source().line(span.line());
        int len = Math.max(1, Math.min(span.length(), line.length() - span.column() + 1));
        diagnostics.add(new Diagnostic(sev, span.source().name(), span.line(), span.column(), len, message, hint, line));
        if (sev == Diagnostic.Severity.ERROR && errors == MAX_ERRORS)
            diagnostics.add(new Diagnostic(Diagnostic.Severity.NOTE, span.source().name(), span.line(), span.column(), 0,
                    "too many errors; stopping after " + MAX_ERRORS, null, null));
    }

    /** True when an error was already reported starting at this span (to avoid a second message for one mistake). */
    public boolean hasErrorAt(Span span) { return errorPlaces.contains(span.source().name() + ":" + span.start()); }

    private static boolean isLibrary(Span s) { return s.source().name().startsWith("std/"); }

    public int errorCount() { return errors; }
    public boolean hasErrors() { return errors > 0; }
    /** Every diagnostic in source order (file, line, column), as people read them; stable for equal positions. */
    public List<Diagnostic> diagnostics() {
        return diagnostics.stream()
                .sorted(java.util.Comparator.comparing(Diagnostic::file, java.util.Comparator.nullsFirst(java.util.Comparator.<String>naturalOrder()))
                        .thenComparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column))
                .toList();
    }
}
