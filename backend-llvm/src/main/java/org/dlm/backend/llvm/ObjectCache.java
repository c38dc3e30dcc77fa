package org.dlm.backend.llvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Machine code of LLVM modules on disk, so that compiling the same model (or the shared GEMM
 * kernels) again in a new process skips LLVM's optimizer and code generator. An entry's key is the
 * SHA-256 of the module's LLVM IR before optimization, the pass pipeline, the target CPU and
 * features, the LLVM version and this format's version; the IR carries no addresses (shared kernels
 * are external symbols bound at link time), so equal IR means equal code.
 *
 * <p>The directory is {@code $DLM_CACHE_DIR} (or the system property {@code dlm.cache.dir}),
 * else {@code ~/.cache/dlm/objects}; the value {@code off} disables the cache. Entries are written
 * to a temporary file and renamed into place, so readers never see a partial entry; each starts
 * with a header holding the object's length and SHA-256, and an entry that does not match it
 * (truncated, corrupt) is ignored and rewritten. Failing to read or write the cache only costs
 * the compile it would have saved.
 *
 * <p>The cache is bounded: after each store, when its entries take more than the limit
 * ({@code $DLM_CACHE_MAX_MB} or the system property {@code dlm.cache.maxMb}, default 1024 MB), the
 * least recently used entries (by modification time, which a hit refreshes) are deleted until it is
 * at 3/4 of the limit. Temporary files left by a killed writer are removed when older than an hour.
 *
 * <pre>{@code
 * ObjectCache cache = ObjectCache.standard();   // null when disabled
 * String key = cache.key(irText, host, "default<O3>");
 * byte[] object = cache.get(key);
 * if (object == null) { object = compile(); cache.put(key, object); }
 * }</pre>
 */
public final class ObjectCache {
    private static final int FORMAT = 1;
    private static final byte[] MAGIC = "DLMOBJ01".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + 8 + 32;
    private static final long DEFAULT_MAX_BYTES = 1024L << 20;
    private static final Duration STALE_TMP = Duration.ofHours(1);
    private static final Object TRIM_LOCK = new Object();
    private final Path dir;
    private final long maxBytes;

    public ObjectCache(Path dir) { this(dir, DEFAULT_MAX_BYTES); }

    /** A cache in {@code dir} that keeps at most {@code maxBytes} of entries. */
    public ObjectCache(Path dir, long maxBytes) {
        if (maxBytes <= 0) throw new IllegalArgumentException("cache limit must be positive, got " + maxBytes);
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** The cache the environment asks for, or null when it is off. */
    public static ObjectCache standard() {
        String where = System.getProperty("dlm.cache.dir", System.getenv("DLM_CACHE_DIR"));
        if (where != null && where.equalsIgnoreCase("off")) return null;
        long max = maxBytesFromEnvironment();
        if (where != null && !where.isBlank()) return new ObjectCache(Path.of(where), max);
        String home = System.getProperty("user.home");
        return home == null ? null : new ObjectCache(Path.of(home, ".cache", "dlm", "objects"), max);
    }

    /** {@code DLM_CACHE_MAX_MB} / {@code dlm.cache.maxMb} in bytes; an unreadable value keeps the default. */
    private static long maxBytesFromEnvironment() {
        String mb = System.getProperty("dlm.cache.maxMb", System.getenv("DLM_CACHE_MAX_MB"));
        if (mb == null || mb.isBlank()) return DEFAULT_MAX_BYTES;
        try {
            long v = Long.parseLong(mb.trim());
            return v > 0 ? v << 20 : DEFAULT_MAX_BYTES;
        } catch (NumberFormatException e) {
            return DEFAULT_MAX_BYTES;
        }
    }

    public Path directory() { return dir; }

    /** The most bytes of entries this cache keeps. */
    public long maxBytes() { return maxBytes; }

    /** The key of a module whose unoptimized IR is {@code ir}, optimized with {@code pipeline} for {@code target}. */
    public String key(String ir, HostTarget target, String pipeline) {
        MessageDigest sha = sha256();
        int[] major = new int[1], minor = new int[1], patch = new int[1];
        org.bytedeco.llvm.global.LLVM.LLVMGetVersion(major, minor, patch);
        String context = "dlm-object-cache " + FORMAT + "\nllvm " + major[0] + "." + minor[0] + "." + patch[0] + "\ntriple " + target.triple()
                + "\ncpu " + target.cpu() + "\nfeatures " + target.features() + "\npipeline " + pipeline + "\n";
        sha.update(context.getBytes(StandardCharsets.UTF_8));
        sha.update(ir.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest());
    }

    private Path file(String key) { return dir.resolve(key.substring(0, 2)).resolve(key + ".o"); }

    /** The object stored under {@code key}, or null when there is none or it is damaged. */
    public byte[] get(String key) {
        byte[] entry;
        Path file = file(key);
        try {
            entry = Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
        if (entry.length < HEADER || !Arrays.equals(entry, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) return null;
        long length = ByteBuffer.wrap(entry, MAGIC.length, 8).getLong();
        if (length != entry.length - HEADER) return null;
        byte[] object = Arrays.copyOfRange(entry, HEADER, entry.length);
        byte[] digest = sha256().digest(object);
        if (!Arrays.equals(digest, 0, 32, entry, MAGIC.length + 8, HEADER)) return null;
        try {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));   // recently used: evicted last
        } catch (IOException e) {
            // a read-only cache still serves hits
        }
        return object;
    }

    /** Stores {@code object} under {@code key} (atomically replacing a damaged entry); I/O errors are ignored. */
    public void put(String key, byte[] object) {
        Path target = file(key);
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            ByteBuffer entry = ByteBuffer.allocate(HEADER + object.length);
            entry.put(MAGIC).putLong(object.length).put(sha256().digest(object)).put(object);
            tmp = Files.createTempFile(target.getParent(), key, ".tmp");
            Files.write(tmp, entry.array());
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            trim();
        } catch (IOException | RuntimeException e) {
            // a cache that cannot be written only costs the next compile its time
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // left for the next cleanup
                }
            }
        }
    }

    /**
     * Deletes least recently used entries until the cache holds at most 3/4 of its limit, when it
     * holds more than the limit, and temporary files older than an hour. I/O errors stop the trim.
     */
    public void trim() {
        synchronized (TRIM_LOCK) {
            record Entry(Path path, long size, FileTime used) {}
            List<Entry> entries = new ArrayList<>();
            FileTime staleBefore = FileTime.from(Instant.now().minus(STALE_TMP));
            long total = 0;
            try (Stream<Path> files = Files.walk(dir, 2)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    BasicFileAttributes a;
                    try {
                        a = Files.readAttributes(f, BasicFileAttributes.class);
                    } catch (IOException e) {
                        continue;   // deleted meanwhile by another process
                    }
                    if (!a.isRegularFile()) continue;
                    String name = f.getFileName().toString();
                    if (name.endsWith(".o")) {
                        entries.add(new Entry(f, a.size(), a.lastModifiedTime()));
                        total += a.size();
                    } else if (name.endsWith(".tmp") && a.lastModifiedTime().compareTo(staleBefore) < 0) {
                        Files.deleteIfExists(f);
                    }
                }
                if (total <= maxBytes) return;
                entries.sort(Comparator.comparing(Entry::used));
                long goal = maxBytes - maxBytes / 4;
                for (Entry e : entries) {
                    if (total <= goal) break;
                    Files.deleteIfExists(e.path());
                    total -= e.size();
                }
            } catch (IOException | UncheckedIOException e) {
                // another process may be trimming too; the next store tries again
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
