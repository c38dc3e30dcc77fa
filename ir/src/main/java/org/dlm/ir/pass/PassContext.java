package org.dlm.ir.pass;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a pass may consult besides the graph: string options ({@code fold.max-elements=4096},
 * set with {@link #set}) and a log of remarks ("folded 12 nodes") the driver can show with {@code -v}.
 */
public final class PassContext {
    private final Map<String, String> options = new HashMap<>();
    private final List<String> remarks = new ArrayList<>();

    public PassContext set(String key, String value) {
        options.put(key, value);
        return this;
    }

    public String option(String key, String dflt) { return options.getOrDefault(key, dflt); }

    public long longOption(String key, long dflt) {
        String v = options.get(key);
        if (v == null) return dflt;
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " must be an integer, got '" + v + "'");
        }
    }

    /** Records a remark from {@code pass}. */
    public void remark(String pass, String message) { remarks.add(pass + ": " + message); }

    public List<String> remarks() { return List.copyOf(remarks); }
}
