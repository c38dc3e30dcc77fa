package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;

/**
 * Process-wide LLVM set-up and the conversions every wrapper needs: LLVM-owned strings to Java
 * strings (freeing them), {@code LLVMErrorRef} to exceptions, and argument arrays.
 */
final class Llvm {
    private static volatile boolean initialized;

    private Llvm() {}

    /** Registers the host target, its assembly printer and parser once per process. */
    static void initialize() {
        if (initialized) return;
        synchronized (Llvm.class) {
            if (initialized) return;
            if (LLVMInitializeNativeTarget() != 0 || LLVMInitializeNativeAsmPrinter() != 0 || LLVMInitializeNativeAsmParser() != 0)
                throw new LlvmException("LLVM has no code generator for this machine's architecture");
            initialized = true;
        }
    }

    /** Copies and frees a string that LLVM allocated for the caller ({@code LLVMDisposeMessage}). */
    static String takeMessage(BytePointer message) {
        if (message == null || message.isNull()) return "";
        try {
            return message.getString();
        } finally {
            LLVMDisposeMessage(message);
        }
    }

    /** Throws when {@code error} is a failure; consumes it either way. */
    static void check(LLVMErrorRef error, String what) {
        if (error == null || error.isNull()) return;
        BytePointer msg = LLVMGetErrorMessage(error);   // consumes the error
        String text;
        try {
            text = msg.getString();
        } finally {
            LLVMDisposeErrorMessage(msg);
        }
        throw new LlvmException(what + ": " + text);
    }

    /** A native array of the given pointers. One-argument {@code new PointerPointer(p)} is a cast, not an array. */
    static PointerPointer<Pointer> array(Pointer... items) {
        PointerPointer<Pointer> pp = new PointerPointer<>(Math.max(1, items.length));
        for (int i = 0; i < items.length; i++) pp.put(i, items[i]);
        return pp;
    }
}
