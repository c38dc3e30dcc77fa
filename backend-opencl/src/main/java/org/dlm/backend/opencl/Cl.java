package org.dlm.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The OpenCL 1.2 host API functions the backend uses, bound with FFM to the ICD loader
 * ({@code libOpenCL.so.1}, which {@code ocl-icd-libopencl1} installs; JOCL would need the
 * {@code libOpenCL.so} development link). Handles are plain addresses; every call that returns an
 * error code goes through {@link #check}, which throws {@link ClError}.
 */
final class Cl {
    static final int CL_SUCCESS = 0, CL_DEVICE_NOT_FOUND = -1, CL_BUILD_PROGRAM_FAILURE = -11, CL_PLATFORM_NOT_FOUND_KHR = -1001;
    static final int CL_PLATFORM_NAME = 0x0902, CL_DEVICE_TYPE = 0x1000, CL_DEVICE_NAME = 0x102B, CL_DEVICE_EXTENSIONS = 0x1030;
    static final int CL_CONTEXT_PLATFORM = 0x1084, CL_PROGRAM_BUILD_LOG = 0x1183;
    static final long CL_DEVICE_TYPE_GPU = 1 << 2, CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL, CL_MEM_READ_WRITE = 1;

    /** An OpenCL call that returned an error code. */
    static final class ClError extends RuntimeException {
        final int code;
        ClError(String call, int code) {
            super(call + " failed with error " + code);
            this.code = code;
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = load();

    private static SymbolLookup load() {
        for (String name : new String[] {"libOpenCL.so.1", "libOpenCL.so", "/usr/lib/x86_64-linux-gnu/libOpenCL.so.1"}) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                // try the next name
            }
        }
        return null;
    }

    static boolean available() { return LIB != null; }

    private static MethodHandle fn(String name, FunctionDescriptor d) {
        if (LIB == null) return null;
        return LIB.find(name).map(s -> LINKER.downcallHandle(s, d)).orElse(null);
    }

    private static final FunctionDescriptor INT_PTR = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final MethodHandle GET_PLATFORM_IDS = fn("clGetPlatformIDs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GET_PLATFORM_INFO = fn("clGetPlatformInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle GET_DEVICE_IDS = fn("clGetDeviceIDs", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GET_DEVICE_INFO = fn("clGetDeviceInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle CREATE_CONTEXT = fn("clCreateContext", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle CREATE_QUEUE = fn("clCreateCommandQueue", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle CREATE_BUFFER = fn("clCreateBuffer", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final FunctionDescriptor RW = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle WRITE_BUFFER = fn("clEnqueueWriteBuffer", RW);
    private static final MethodHandle READ_BUFFER = fn("clEnqueueReadBuffer", RW);
    private static final MethodHandle CREATE_PROGRAM = fn("clCreateProgramWithSource", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle BUILD_PROGRAM = fn("clBuildProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle BUILD_INFO = fn("clGetProgramBuildInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle CREATE_KERNEL = fn("clCreateKernel", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle SET_KERNEL_ARG = fn("clSetKernelArg", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle ND_RANGE = fn("clEnqueueNDRangeKernel",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle FINISH = fn("clFinish", INT_PTR);
    private static final MethodHandle RETAIN_PROGRAM = fn("clRetainProgram", INT_PTR);
    private static final MethodHandle RELEASE_PROGRAM = fn("clReleaseProgram", INT_PTR);
    private static final MethodHandle RELEASE_KERNEL = fn("clReleaseKernel", INT_PTR);
    private static final MethodHandle RELEASE_MEM = fn("clReleaseMemObject", INT_PTR);
    private static final MethodHandle RELEASE_QUEUE = fn("clReleaseCommandQueue", INT_PTR);

    private Cl() {}

    static void check(String call, int code) {
        if (code != CL_SUCCESS) throw new ClError(call, code);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** Calls a handle that returns an error code. */
    private static void call(String name, MethodHandle h, Object... args) {
        if (h == null) throw new ClError(name + " (missing from libOpenCL)", -9999);
        try {
            check(name, (int) h.invokeWithArguments(args));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Calls a handle that returns an object and reports its error through a trailing {@code int*}. */
    private static MemorySegment create(String name, MethodHandle h, Object... argsWithoutErr) {
        if (h == null) throw new ClError(name + " (missing from libOpenCL)", -9999);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            Object[] args = java.util.Arrays.copyOf(argsWithoutErr, argsWithoutErr.length + 1);
            args[args.length - 1] = err;
            MemorySegment r = (MemorySegment) h.invokeWithArguments(args);
            check(name, err.get(JAVA_INT, 0));
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment[] platforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            call("clGetPlatformIDs", GET_PLATFORM_IDS, 0, MemorySegment.NULL, n);
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, Math.max(1, count));
            if (count > 0) call("clGetPlatformIDs", GET_PLATFORM_IDS, count, ids, MemorySegment.NULL);
            MemorySegment[] out = new MemorySegment[count];
            for (int i = 0; i < count; i++) out[i] = ids.getAtIndex(ADDRESS, i);
            return out;
        }
    }

    static MemorySegment[] devices(MemorySegment platform) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            call("clGetDeviceIDs", GET_DEVICE_IDS, platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, Math.max(1, count));
            if (count > 0) call("clGetDeviceIDs", GET_DEVICE_IDS, platform, CL_DEVICE_TYPE_ALL, count, ids, MemorySegment.NULL);
            MemorySegment[] out = new MemorySegment[count];
            for (int i = 0; i < count; i++) out[i] = ids.getAtIndex(ADDRESS, i);
            return out;
        }
    }

    static String platformString(MemorySegment p, int param) { return info("clGetPlatformInfo", GET_PLATFORM_INFO, p, param); }
    static String deviceString(MemorySegment d, int param) { return info("clGetDeviceInfo", GET_DEVICE_INFO, d, param); }

    static long deviceLong(MemorySegment d, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            call("clGetDeviceInfo", GET_DEVICE_INFO, d, param, 8L, v, MemorySegment.NULL);
            return v.get(JAVA_LONG, 0);
        }
    }

    private static String info(String name, MethodHandle h, MemorySegment obj, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            call(name, h, obj, param, 0L, MemorySegment.NULL, size);
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(1, n));
            call(name, h, obj, param, n, buf, MemorySegment.NULL);
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    static MemorySegment createContext(MemorySegment platform, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment props = a.allocate(JAVA_LONG, 3);
            props.setAtIndex(JAVA_LONG, 0, CL_CONTEXT_PLATFORM);
            props.setAtIndex(JAVA_LONG, 1, platform.address());
            props.setAtIndex(JAVA_LONG, 2, 0);
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            return create("clCreateContext", CREATE_CONTEXT, props, 1, devs, MemorySegment.NULL, MemorySegment.NULL);
        }
    }

    static MemorySegment createQueue(MemorySegment context, MemorySegment device) {
        return create("clCreateCommandQueue", CREATE_QUEUE, context, device, 0L);
    }

    static MemorySegment createBuffer(MemorySegment context, long bytes) {
        return create("clCreateBuffer", CREATE_BUFFER, context, CL_MEM_READ_WRITE, bytes, MemorySegment.NULL);
    }

    /** Blocking copy of {@code host} into {@code mem} at offset 0. */
    static void write(MemorySegment queue, MemorySegment mem, MemorySegment host) {
        call("clEnqueueWriteBuffer", WRITE_BUFFER, queue, mem, 1, 0L, host.byteSize(), host, 0, MemorySegment.NULL, MemorySegment.NULL);
    }

    /** Blocking copy of {@code mem} (from offset 0) into {@code host}. */
    static void read(MemorySegment queue, MemorySegment mem, MemorySegment host) {
        call("clEnqueueReadBuffer", READ_BUFFER, queue, mem, 1, 0L, host.byteSize(), host, 0, MemorySegment.NULL, MemorySegment.NULL);
    }

    static MemorySegment createProgram(MemorySegment context, String source) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocateFrom(source, StandardCharsets.UTF_8);
            MemorySegment strings = a.allocate(ADDRESS);
            strings.set(ADDRESS, 0, text);
            return create("clCreateProgramWithSource", CREATE_PROGRAM, context, 1, strings, MemorySegment.NULL);
        }
    }

    static void buildProgram(MemorySegment program, MemorySegment device, String options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            call("clBuildProgram", BUILD_PROGRAM, program, 1, devs, a.allocateFrom(options, StandardCharsets.UTF_8), MemorySegment.NULL, MemorySegment.NULL);
        }
    }

    static String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            call("clGetProgramBuildInfo", BUILD_INFO, program, device, CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(1, n));
            call("clGetProgramBuildInfo", BUILD_INFO, program, device, CL_PROGRAM_BUILD_LOG, n, buf, MemorySegment.NULL);
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    static MemorySegment createKernel(MemorySegment program, String name) {
        try (Arena a = Arena.ofConfined()) {
            return create("clCreateKernel", CREATE_KERNEL, program, a.allocateFrom(name, StandardCharsets.UTF_8));
        }
    }

    /** Sets argument {@code index} from {@code value} (its whole size: a pointer-sized handle, a long or an int). */
    static void setArg(MemorySegment kernel, int index, MemorySegment value) {
        call("clSetKernelArg", SET_KERNEL_ARG, kernel, index, value.byteSize(), value);
    }

    static void ndRange(MemorySegment queue, MemorySegment kernel, long[] global, long[] local) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocateFrom(JAVA_LONG, global);
            MemorySegment l = local == null ? MemorySegment.NULL : a.allocateFrom(JAVA_LONG, local);
            call("clEnqueueNDRangeKernel", ND_RANGE, queue, kernel, global.length, MemorySegment.NULL, g, l, 0, MemorySegment.NULL, MemorySegment.NULL);
        }
    }

    static void finish(MemorySegment queue) { call("clFinish", FINISH, queue); }
    static void retainProgram(MemorySegment p) { call("clRetainProgram", RETAIN_PROGRAM, p); }
    static void releaseProgram(MemorySegment p) { call("clReleaseProgram", RELEASE_PROGRAM, p); }
    static void releaseKernel(MemorySegment k) { call("clReleaseKernel", RELEASE_KERNEL, k); }
    static void releaseMem(MemorySegment m) { call("clReleaseMemObject", RELEASE_MEM, m); }
    static void releaseQueue(MemorySegment q) { call("clReleaseCommandQueue", RELEASE_QUEUE, q); }
}
