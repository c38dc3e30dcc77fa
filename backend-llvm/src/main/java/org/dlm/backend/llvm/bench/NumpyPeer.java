package org.dlm.backend.llvm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * numpy's float32 matmul (OpenBLAS sgemm on Debian) in a long-lived Python process, so that its
 * timings can be interleaved with ours on a shared machine. Each request times {@code n×n·n×n}
 * and answers GFLOP/s as {best wall, median thread-CPU, median wall}.
 */
final class NumpyPeer implements AutoCloseable {
    private static final String SCRIPT = String.join("\n",
            "import numpy as np, time, sys",
            "cache = {}",
            "for line in sys.stdin:",
            "    n, secs = int(line.split()[0]), float(line.split()[1])",
            "    if n not in cache:",
            "        cache[n] = (np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32))",
            "        for _ in range(3): cache[n][0] @ cache[n][1]",
            "    a, b = cache[n]",
            "    ts = []; cs = []; s = time.perf_counter()",
            "    while len(ts) < 5 or time.perf_counter() - s < secs:",
            "        c0 = time.thread_time(); t0 = time.perf_counter(); a @ b",
            "        ts.append(time.perf_counter() - t0); cs.append(time.thread_time() - c0)",
            "    ts.sort(); cs.sort(); f = 2.0 * n ** 3 / 1e9",
            "    print(f / ts[0], f / cs[len(cs) // 2], f / ts[len(ts) // 2], flush=True)");

    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    NumpyPeer(String python, int threads) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(python, "-c", SCRIPT);
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        process = pb.start();
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    double[] measure(int n, double seconds) throws IOException {
        in.println(n + " " + seconds);
        String line = out.readLine();
        if (line == null) throw new IOException("numpy process ended (is numpy installed for this python?)");
        String[] f = line.trim().split(" ");
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    @Override public void close() {
        in.close();
        process.destroy();
    }
}
