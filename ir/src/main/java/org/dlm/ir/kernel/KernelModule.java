package org.dlm.ir.kernel;

import java.util.List;

/**
 * A whole graph as one Kernel IR program: the buffers it touches and the statements of its entry
 * function, run in order. {@code arenaBytes} is the size of the temporaries' arena after memory
 * planning, {@code paramBytes} the size of the parameter block.
 *
 * <pre>{@code
 * KernelModule m = new KernelModule("mlp", buffers, body, arenaBytes, paramBytes);
 * KernelVerifier.verify(m);
 * System.out.println(KernelPrinter.print(m));
 * }</pre>
 */
public record KernelModule(String name, List<Buffer> buffers, List<Stmt> body, long arenaBytes, long paramBytes) {
    public KernelModule {
        buffers = List.copyOf(buffers);
        body = List.copyOf(body);
    }

    public List<Buffer> buffers(Buffer.Kind kind) {
        return buffers.stream().filter(b -> b.kind() == kind).toList();
    }

    @Override public String toString() { return KernelPrinter.print(this); }
}
