package org.dlm.ir.interp;

/**
 * The interpreter could not run a graph on the given data: a missing or mis-shaped input or
 * parameter, inconsistent symbolic dimensions, or an op that refused its runtime values. The
 * message is one sentence naming the tensor or node concerned.
 */
public class InterpreterException extends RuntimeException {
    public InterpreterException(String message) { super(message, null, false, false); }
    public InterpreterException(String message, Throwable cause) { super(message, cause, false, true); }
}
