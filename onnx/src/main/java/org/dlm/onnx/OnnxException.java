package org.dlm.onnx;

import java.util.List;

/**
 * An ONNX model could not be imported or run. Carries every problem found, not only the first:
 * all unsupported ops of a model are listed together.
 */
public final class OnnxException extends RuntimeException {
    private final List<OnnxIssue> issues;

    public OnnxException(List<OnnxIssue> issues) {
        super(issues.isEmpty() ? "ONNX import failed" : issues.getFirst().render(), null, false, false);
        this.issues = List.copyOf(issues);
    }

    public static OnnxException error(String what, String detail) { return new OnnxException(List.of(OnnxIssue.error(what, detail))); }
    public static OnnxException unsupported(String what, String detail) { return new OnnxException(List.of(OnnxIssue.unsupported(what, detail))); }

    public List<OnnxIssue> issues() { return issues; }

    /** True when every problem is a valid-but-unsupported feature (CLI exit code 3); errors take precedence otherwise. */
    public boolean isUnsupported() { return issues.stream().anyMatch(OnnxIssue::unsupported); }

    /** The CLI exit code: 3 when anything unsupported was found, else 1. */
    public int exitCode() { return isUnsupported() ? 3 : 1; }
}
