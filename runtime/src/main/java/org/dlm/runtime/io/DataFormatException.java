package org.dlm.runtime.io;

import java.io.IOException;

/**
 * A tensor or data file that is corrupt, truncated, of an unsupported kind, or does not match
 * what the caller expects. The message always starts with the file (and tensor) it is about,
 * e.g. {@code x.npy: header says 1000 elements (4000 bytes) but the file holds 48 bytes of data}.
 * Several problems found at once are reported one per line.
 */
public final class DataFormatException extends IOException {
    private final String where;

    public DataFormatException(String where, String message) {
        super(where + ": " + message);
        this.where = where;
    }

    public DataFormatException(String where, String message, Throwable cause) {
        super(where + ": " + message, cause);
        this.where = where;
    }

    /** The file (and tensor) the problem is in, as shown at the start of the message. */
    public String where() { return where; }

    /** Names a tensor inside a container file: {@code weights.npz: tensor 'fc1.weight'}. */
    static String tensorIn(String file, String tensor) { return file + ": tensor '" + tensor + "'"; }
}
