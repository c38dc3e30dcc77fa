package org.dlm.frontend.ast;

import java.util.List;

/**
 * A written type: {@code int}, {@code float}, {@code bool}, {@code string}, or a tensor type
 * {@code f32[B, 1, 28, 28]} whose dims are expressions or {@code ...} (any number of leading dims).
 *
 * @param dims null for non-tensor types; entries are null where {@code ...} was written
 */
public record TypeExpr(Span span, String name, List<Expr> dims) {
    public boolean isTensor() { return dims != null; }
}
