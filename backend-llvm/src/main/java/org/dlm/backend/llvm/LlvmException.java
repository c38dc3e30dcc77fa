package org.dlm.backend.llvm;

/** LLVM rejected a module, failed to optimize or compile it, or could not find a symbol. */
public final class LlvmException extends RuntimeException {
    public LlvmException(String message) {
        super(message);
    }
}
