package org.dlm.backend.opencl;

/**
 * An OpenCL problem the user can fix (no driver or device, a device choice that matches nothing,
 * f64 on a device without {@code cl_khr_fp64}); its message is one sentence for the command line.
 */
public final class OpenClException extends RuntimeException {
    public OpenClException(String message) { super(message); }
}
