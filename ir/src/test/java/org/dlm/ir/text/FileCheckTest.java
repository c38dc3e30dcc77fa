package org.dlm.ir.text;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FileCheckTest {
    private static final String OUT = """
            graph G(%x: f32[2]) {
              %0 = const {value = dense<f32[]>[1.0]} : f32[]
              %1 = add(%x, %0) : f32[2]
              return %y = %1
            }
            """;

    @Test void matchesInOrderWithVariables() {
        FileCheck.check(OUT, """
                // CHECK: graph G
                // CHECK: [[C:%[0-9]+]] = const
                // CHECK-SAME: : f32[]
                // CHECK-NEXT: [[S:%[0-9]+]] = add(%x, [[C]])
                // CHECK-NOT: mul
                // CHECK: return %y = [[S]]
                """);
    }

    @Test void reportsTheFailingDirective() {
        var e = assertThrows(FileCheck.FileCheckException.class, () -> FileCheck.check(OUT, "// CHECK: add\n// CHECK: const"));
        assertTrue(e.getMessage().startsWith("check line 2: CHECK: 'const' not found after line 3 of the output"), e.getMessage());
        var n = assertThrows(FileCheck.FileCheckException.class, () -> FileCheck.check(OUT, "// CHECK: graph\n// CHECK-NEXT: add"));
        assertTrue(n.getMessage().contains("expected on the next line"), n.getMessage());
        var not = assertThrows(FileCheck.FileCheckException.class, () -> FileCheck.check(OUT, "// CHECK: graph\n// CHECK-NOT: const\n// CHECK: return"));
        assertTrue(not.getMessage().startsWith("check line 2: CHECK-NOT: 'const' found where it must not be"), not.getMessage());
        var v = assertThrows(FileCheck.FileCheckException.class, () -> FileCheck.check(OUT, "// CHECK: [[Q]]"));
        assertEquals("check line 1: variable Q used before it is defined", v.getMessage());
        assertThrows(FileCheck.FileCheckException.class, () -> FileCheck.check(OUT, "no directives"));
    }

    @Test void regexPieces() {
        FileCheck.check(OUT, "// CHECK: %{{[0-9]+}} = add\n// CHECK-NOT: {{^}}graph");
    }
}
