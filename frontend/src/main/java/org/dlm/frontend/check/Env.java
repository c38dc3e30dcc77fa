package org.dlm.frontend.check;

import java.util.LinkedHashMap;
import java.util.Map;

/** A chain of variable bindings ending at a module's top-level scope and the built-ins. */
final class Env {
    final Env parent;
    final Module module;
    final Map<String, Object> vars;

    Env(Env parent, Module module) {
        this(parent, module, new LinkedHashMap<>());
    }

    Env(Env parent, Module module, Map<String, Object> vars) {
        this.parent = parent;
        this.module = module;
        this.vars = vars;
    }

    Env child() { return new Env(this, module); }

    /** The value bound to {@code name} locally, in the module, or as a built-in; null when unbound. */
    Object lookup(String name) {
        for (Env e = this; e != null; e = e.parent) {
            Object v = e.vars.get(name);
            if (v != null) return v;
        }
        Object g = module.scope.get(name);
        return g != null ? g : Builtins.VALUES.get(name);
    }

    /** True when {@code name} is bound by a local scope (not the module or the built-ins). */
    boolean hasLocal(String name) {
        for (Env e = this; e != null; e = e.parent) if (e.vars.containsKey(name)) return true;
        return false;
    }

    void define(String name, Object value) { vars.put(name, value); }

    /** Re-binds an existing local; false when there is none. */
    boolean assign(String name, Object value) {
        for (Env e = this; e != null; e = e.parent) {
            if (e.vars.containsKey(name)) {
                e.vars.put(name, value);
                return true;
            }
        }
        return false;
    }
}
