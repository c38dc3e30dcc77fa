package org.dlm.frontend.builder;

import java.security.CodeSource;

/**
 * Finds the user's line that called into the builder: the first stack frame outside the JDK and
 * outside DLM's own library classes. DLM classes compiled as tests ({@code test-classes}) count as
 * user code, so the builder's tests see their own lines.
 */
final class CallSite {
    private CallSite() {}

    record Location(String file, int line) {}

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    static Location find() {
        return WALKER.walk(s -> s.filter(f -> !internal(f.getDeclaringClass()))
                .findFirst()
                .map(f -> new Location(f.getFileName(), f.getLineNumber()))
                .orElse(new Location(null, -1)));
    }

    static DlmBuildException error(String problem, String hint) {
        Location l = find();
        return new DlmBuildException(l.file(), l.line(), problem, hint);
    }

    private static boolean internal(Class<?> c) {
        String n = c.getName();
        if (n.startsWith("java.") || n.startsWith("jdk.") || n.startsWith("sun.")) return true;
        if (!n.startsWith("org.dlm.")) return false;
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        String loc = cs == null || cs.getLocation() == null ? "" : cs.getLocation().toString();
        return !loc.contains("/test-classes/");
    }
}
