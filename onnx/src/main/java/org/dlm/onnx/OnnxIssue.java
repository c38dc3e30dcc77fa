package org.dlm.onnx;

/**
 * One problem found while reading or importing an ONNX model. Unsupported content (an op type, an
 * attribute value, a dtype DLM lacks) is reported as {@code UNSUPPORTED: <OpType> <detail>}; a
 * malformed model is an error.
 *
 * @param unsupported true when the model is valid but uses something DLM does not support
 * @param what        the ONNX op type, or a category such as {@code dtype}, {@code opset}, {@code model}
 * @param detail      one sentence for a person, naming the nodes concerned
 */
public record OnnxIssue(boolean unsupported, String what, String detail) {
    public static OnnxIssue unsupported(String what, String detail) { return new OnnxIssue(true, what, detail); }
    public static OnnxIssue error(String what, String detail) { return new OnnxIssue(false, what, detail); }

    /** {@code UNSUPPORTED: Conv 3-D convolution (node conv_1)} or {@code error: model ...}. */
    public String render() {
        return (unsupported ? "UNSUPPORTED: " : "error: ") + what + " " + detail;
    }
}
