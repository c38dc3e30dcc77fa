package org.dlm.cli;

/**
 * A problem the user can fix, reported as one clear message (and maybe a hint) with an exit
 * code: {@link #USER_ERROR} or {@link #UNSUPPORTED}. Never shown with a stack trace.
 */
public final class CliException extends RuntimeException {
    public static final int USER_ERROR = 1;
    public static final int UNSUPPORTED = 3;

    private final int exitCode;
    private final String hint;

    public CliException(int exitCode, String message, String hint) {
        super(message, null, false, false);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    public static CliException user(String message) { return new CliException(USER_ERROR, message, null); }
    public static CliException user(String message, String hint) { return new CliException(USER_ERROR, message, hint); }
    public static CliException unsupported(String message, String hint) { return new CliException(UNSUPPORTED, message, hint); }

    public int exitCode() { return exitCode; }
    public String hint() { return hint; }
}
