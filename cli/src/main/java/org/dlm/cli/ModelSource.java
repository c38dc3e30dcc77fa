package org.dlm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.runtime.io.ParamStore;
import org.dlm.runtime.io.Safetensors;
import org.dlm.ir.interp.NdArray;

/**
 * Where a model comes from: a .dlm file, or a model shipped in dlm-test-models named by
 * {@code lenet} or {@code test-models:lenet}. Shipped models are looked up in the repository's
 * {@code test-models} folder (found through {@code -Ddlm.home}, which bin/dlmc sets, or the
 * {@code DLM_HOME} variable), then on the class path ({@code models/<name>.dlm}). A shipped model
 * may come with weights, class-path resource {@code weights/<name>.safetensors}.
 */
record ModelSource(String display, String shippedName, Compilation compilation) {
    private static final String PREFIX = "test-models:";

    static ModelSource load(String arg) {
        boolean forceShipped = arg.startsWith(PREFIX);
        String name = forceShipped ? arg.substring(PREFIX.length()) : arg;
        if (!forceShipped) {
            Path p = Path.of(arg);
            if (Files.isRegularFile(p)) return new ModelSource(arg, null, Frontend.compile(p));
            if (Files.isDirectory(p)) throw CliException.user(arg + ": is a directory, not a .dlm file");
            if (!name.matches("[A-Za-z0-9_-]+")) throw CliException.user(arg + ": no such file");
        }
        String key = name.endsWith(".dlm") ? name.substring(0, name.length() - 4) : name;
        Path file = findInRepo(key);
        if (file != null) return new ModelSource(file.toString(), key.toLowerCase(Locale.ROOT), Frontend.compile(file));
        String text = resourceText("models/" + key + ".dlm");
        if (text == null) text = resourceText("models/" + key.toLowerCase(Locale.ROOT) + ".dlm");
        if (text != null) return new ModelSource(PREFIX + key, key.toLowerCase(Locale.ROOT), Frontend.compile("test-models/" + key + ".dlm", text));
        List<String> shipped = shippedNames();
        throw CliException.user("no file '" + arg + "' and no shipped model of that name",
            shipped.isEmpty() ? "give the path of a .dlm file" : "shipped models: " + String.join(", ", shipped) + "; or give the path of a .dlm file");
    }

    /** The graph to run: the one model, or the one named by {@code --model}. */
    Graph pick(String model) {
        Map<String, Graph> models = compilation.models();
        if (model != null) {
            Graph g = models.get(model);
            if (g == null) throw CliException.user(display + " has no model '" + model + "'",
                models.isEmpty() ? null : "models in it: " + String.join(", ", models.keySet()));
            return g;
        }
        if (models.size() == 1) return models.values().iterator().next();
        if (models.isEmpty()) throw CliException.user(display + " defines no model");
        throw CliException.user(display + " defines several models (" + String.join(", ", models.keySet()) + ")", "choose one with --model NAME");
    }

    /** Weights shipped for this model, checked against it; null when there are none. */
    Map<String, NdArray> shippedWeights(Graph g) throws IOException {
        if (shippedName == null) return null;
        String res = "weights/" + shippedName + ".safetensors";
        byte[] bytes = resourceBytes(res);
        if (bytes == null) return null;
        Path tmp = Files.createTempFile("dlmc-", ".safetensors");
        try {
            Files.write(tmp, bytes);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ)) {
                return ParamStore.match(g, PREFIX + res, Safetensors.read(PREFIX + res, ch).tensors());
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String shippedWeightsName(String shippedName) { return PREFIX + "weights/" + shippedName + ".safetensors"; }

    private static Path repoTestModels() {
        String home = System.getProperty("dlm.home", System.getenv("DLM_HOME"));
        Path dir = Path.of(home == null ? "." : home, "test-models");
        return Files.isDirectory(dir) ? dir : null;
    }

    private static Path findInRepo(String key) {
        Path dir = repoTestModels();
        if (dir == null) return null;
        try (Stream<Path> s = Files.walk(dir, 6)) {
            return s.filter(p -> !p.toString().contains("/target/"))
                .filter(p -> p.getFileName().toString().equalsIgnoreCase(key + ".dlm"))
                .sorted().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static List<String> shippedNames() {
        Path dir = repoTestModels();
        List<String> names = new ArrayList<>();
        if (dir == null) return names;
        try (Stream<Path> s = Files.walk(dir, 6)) {
            s.filter(p -> !p.toString().contains("/target/") && p.toString().endsWith(".dlm"))
                .map(p -> p.getFileName().toString().replaceFirst("\\.dlm$", "")).sorted().forEach(names::add);
        } catch (IOException e) {
            // no listing then; the message still says what was not found
        }
        return names;
    }

    private static byte[] resourceBytes(String name) throws IOException {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        try (InputStream in = (cl == null ? ModelSource.class.getClassLoader() : cl).getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static String resourceText(String name) {
        try {
            byte[] b = resourceBytes(name);
            return b == null ? null : new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
