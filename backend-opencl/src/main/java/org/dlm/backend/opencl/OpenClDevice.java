package org.dlm.backend.opencl;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One OpenCL device with its context and the process's program cache for it. Contexts are opened
 * once per device and live as long as the process (like a driver handle); executables create
 * their queues, buffers and kernels in it and release them on close. Programs are cached by
 * source text: compiling an identical module again reuses the built program (PoCL additionally
 * caches binaries on disk across processes, in {@code POCL_CACHE_DIR}).
 *
 * <p>Selection ({@link #select}): {@code DLM_OPENCL_DEVICE} or the option picks a device by its
 * index in {@link #list()} ({@code 0}, {@code 1}, ...), by type ({@code gpu}, {@code cpu}) or by a
 * case-insensitive part of "platform / device name"; by default the first GPU, else the first device.
 */
public final class OpenClDevice {
    public static final String ENV = "DLM_OPENCL_DEVICE";
    static final String NO_DEVICE = "no OpenCL device found; install an OpenCL driver, e.g. `apt-get install pocl-opencl-icd`";
    private static final int CACHE_LIMIT = 64;
    private static final Map<String, OpenClDevice> OPEN = new ConcurrentHashMap<>();

    /** A device as the platforms report it. */
    public record Info(int index, String platform, String name, boolean gpu, boolean fp64, MemorySegment platformId, MemorySegment id) {
        @Override public String toString() {
            return index + ": " + platform + " / " + name + (gpu ? " (GPU)" : "") + (fp64 ? "" : " (no fp64)");
        }
    }

    private final Info info;
    private final MemorySegment context;
    private final LinkedHashMap<String, MemorySegment> programs = new LinkedHashMap<>(16, 0.75f, true);

    private OpenClDevice(Info info) {
        this.info = info;
        this.context = Cl.createContext(info.platformId(), info.id());
    }

    public Info info() { return info; }
    MemorySegment context() { return context; }
    MemorySegment id() { return info.id(); }

    /** Every device of every platform, in platform order. Throws {@link OpenClException} with {@link #NO_DEVICE} when there is none. */
    public static List<Info> list() {
        if (!Cl.available()) throw new OpenClException(NO_DEVICE);   // no libOpenCL.so.1 (ICD loader)
        MemorySegment[] platforms;
        try {
            platforms = Cl.platforms();
        } catch (Cl.ClError e) {   // CL_PLATFORM_NOT_FOUND_KHR: a loader without drivers
            throw new OpenClException(NO_DEVICE);
        }
        List<Info> out = new ArrayList<>();
        for (MemorySegment p : platforms) {
            MemorySegment[] ds;
            try {
                ds = Cl.devices(p);
            } catch (Cl.ClError e) {
                continue;   // CL_DEVICE_NOT_FOUND: a platform without devices
            }
            String pname = Cl.platformString(p, Cl.CL_PLATFORM_NAME);
            for (MemorySegment d : ds) {
                long type = Cl.deviceLong(d, Cl.CL_DEVICE_TYPE);
                String ext = Cl.deviceString(d, Cl.CL_DEVICE_EXTENSIONS);
                out.add(new Info(out.size(), pname, Cl.deviceString(d, Cl.CL_DEVICE_NAME).strip(), (type & Cl.CL_DEVICE_TYPE_GPU) != 0,
                        ext.contains("cl_khr_fp64"), p, d));
            }
        }
        if (out.isEmpty()) throw new OpenClException(NO_DEVICE);
        return out;
    }

    /** The device {@code choice} names (null or blank: {@code DLM_OPENCL_DEVICE}, else the default rule), opened once per process. */
    public static synchronized OpenClDevice select(String choice) {
        if (choice == null || choice.isBlank()) choice = System.getenv(ENV);
        Info pick = pick(list(), choice);
        String key = pick.platform() + "/" + pick.name() + "/" + pick.index();
        return OPEN.computeIfAbsent(key, k -> new OpenClDevice(pick));
    }

    static Info pick(List<Info> devices, String choice) {
        if (choice == null || choice.isBlank()) {
            return devices.stream().filter(Info::gpu).findFirst().orElse(devices.getFirst());
        }
        String c = choice.strip().toLowerCase(Locale.ROOT);
        if (c.matches("\\d+")) {
            int i = Integer.parseInt(c);
            if (i < devices.size()) return devices.get(i);
        } else if (c.equals("gpu") || c.equals("cpu")) {
            boolean gpu = c.equals("gpu");
            for (Info d : devices) if (d.gpu() == gpu) return d;
        } else {
            for (Info d : devices) if ((d.platform() + " / " + d.name()).toLowerCase(Locale.ROOT).contains(c)) return d;
        }
        StringBuilder sb = new StringBuilder("no OpenCL device matches '" + choice + "'; devices:");
        for (Info d : devices) sb.append("\n  ").append(d);
        throw new OpenClException(sb.toString());
    }

    /**
     * The built program for {@code source}, retained for the caller (who releases it): from the
     * cache, or compiled now. A compile failure is an internal error carrying the build log.
     */
    synchronized MemorySegment program(String source) {
        MemorySegment p = programs.get(source);
        if (p == null) {
            p = Cl.createProgram(context, source);
            try {
                Cl.buildProgram(p, info.id(), "");
            } catch (Cl.ClError e) {
                String log;
                try {
                    log = Cl.buildLog(p, info.id());
                } catch (Cl.ClError e2) {
                    log = "(no build log: " + e2.getMessage() + ")";
                }
                Cl.releaseProgram(p);
                throw new IllegalStateException("internal error: the generated OpenCL C did not compile on " + info.name() + " ("
                        + e.getMessage() + "):\n" + log);
            }
            programs.put(source, p);
            if (programs.size() > CACHE_LIMIT) {   // least recently used; live executables hold their own reference
                var eldest = programs.entrySet().iterator().next();
                Cl.releaseProgram(eldest.getValue());
                programs.remove(eldest.getKey());
            }
        }
        Cl.retainProgram(p);
        return p;
    }

    /** Programs currently in the cache. */
    public synchronized int cachedPrograms() { return programs.size(); }
}
