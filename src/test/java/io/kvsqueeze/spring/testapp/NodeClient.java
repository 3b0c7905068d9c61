package io.kvsqueeze.spring.testapp;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Node.js project under {@code src/test/js/openai-client}, installed with {@code npm ci} into
 * {@code target/openai-client} (reinstalled only when its lock file changes) and run with {@code node}. A missing
 * or too old Node.js or npm fails the test with a message saying what to install: the compatibility test must
 * not pass by not running.
 */
public final class NodeClient {
    private static final int MIN_NODE_MAJOR = 20;
    private static final String PROJECT = "openai-client";
    private static final String STAMP = ".kvsqueeze-lock-sha256";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path directory;

    private NodeClient(Path directory) {
        this.directory = directory;
    }

    /** Checks node and npm, copies the project to {@code target/} and runs {@code npm ci} there if needed. */
    public static synchronized NodeClient prepare() {
        Path basedir = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path source = basedir.resolve("src/test/js").resolve(PROJECT);
        Path target = basedir.resolve("target").resolve(PROJECT);
        requireNode();
        try {
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(source)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            String lock = sha256(Files.readAllBytes(source.resolve("package-lock.json")));
            Path stamp = target.resolve("node_modules").resolve(STAMP);
            if (!Files.exists(stamp) || !Files.readString(stamp).equals(lock)) {
                Result install = exec(target, List.of("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"),
                        Map.of(), 600);
                if (install.status != 0) {
                    fail("npm ci in " + target + " failed (status " + install.status + "); the openai-client test needs"
                            + " the npm registry once to install the pinned openai package:\n" + install.stderr
                            + install.stdout);
                }
                Files.writeString(stamp, lock);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NodeClient(target);
    }

    /** Runs {@code node script} with {@code env} added; returns the JSON object it printed last on stdout. */
    public JsonNode run(String script, Map<String, String> env) {
        Result result = exec(directory, List.of("node", script), env, 300);
        if (result.status != 0) {
            fail("node " + script + " failed (status " + result.status + "):\n" + result.stderr + result.stdout);
        }
        List<String> lines = result.stdout.lines().filter(line -> !line.isBlank()).toList();
        if (lines.isEmpty()) {
            fail("node " + script + " printed nothing; stderr:\n" + result.stderr);
        }
        return JSON.readTree(lines.getLast());
    }

    private static void requireNode() {
        String missing = "the openai-client compatibility test needs Node.js " + MIN_NODE_MAJOR
                + " or later and npm on the PATH (CI installs them; locally: install Node.js " + MIN_NODE_MAJOR + " LTS)";
        Result node;
        Result npm;
        try {
            node = exec(null, List.of("node", "--version"), Map.of(), 60);
            npm = exec(null, List.of("npm", "--version"), Map.of(), 60);
        } catch (UncheckedIOException e) {
            fail(missing + ": " + e.getCause().getMessage());
            return;
        }
        Matcher version = Pattern.compile("v(\\d+)\\.").matcher(node.stdout.strip());
        if (node.status != 0 || npm.status != 0 || !version.lookingAt()) {
            fail(missing + "; node --version said '" + node.stdout.strip() + "', npm --version said '"
                    + npm.stdout.strip() + "'");
        }
        if (Integer.parseInt(version.group(1)) < MIN_NODE_MAJOR) {
            fail(missing + "; found " + node.stdout.strip());
        }
    }

    private record Result(int status, String stdout, String stderr) {
    }

    private static Result exec(Path directory, List<String> command, Map<String, String> env, long timeoutSeconds) {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        // The client must talk to the test server only, whatever the developer's shell has configured.
        builder.environment().keySet().removeIf(name -> name.startsWith("OPENAI_"));
        builder.environment().putAll(env);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s; stderr so far:\n"
                        + stderr.getNow(""));
            }
            return new Result(process.exitValue(), stdout.join(), stderr.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(java.io.InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
