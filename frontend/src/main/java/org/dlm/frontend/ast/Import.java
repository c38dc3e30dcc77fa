package org.dlm.frontend.ast;

import java.util.List;

/**
 * {@code import std.nn.{Conv2d, Linear as Dense}}, {@code import std.nn.*} or {@code import std.nn}
 * (then used as {@code nn.Linear}).
 */
public record Import(Span span, String module, List<Item> items, boolean star) {
    public record Item(Span span, String name, String alias) {}
}
