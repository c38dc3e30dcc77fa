package org.dlm.backend.llvm;

import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * The raw LLVM handles of a {@link ModuleBuilder}, for code generators in sub-packages
 * (org.dlm.backend.llvm.codegen) that emit with the LLVM C API directly. The builder keeps owning them.
 */
public final class LlvmAccess {
    private LlvmAccess() {}

    public static LLVMContextRef context(ModuleBuilder mb) { return mb.context(); }
    public static LLVMModuleRef module(ModuleBuilder mb) { return mb.module(); }
}
