package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Puts a verified copy of a model file into a models directory, trying its sources in order.
 *
 * <p>Bytes arrive in {@code NAME.part}, and only once their size and SHA-256 match is the file renamed, atomically,
 * to {@code NAME}: a file under the final name is always a complete, verified model, whatever was interrupted. A
 * {@code .part} left by an interrupted download is resumed by sources that can; if the result then fails
 * verification (the old bytes may be what is wrong), the download starts over once from scratch.
 */
public final class ModelFetcher {
    private final Path modelsDirectory;
    private final FetchLog log;

    public ModelFetcher(Path modelsDirectory, FetchLog log) {
        this.modelsDirectory = Objects.requireNonNull(modelsDirectory, "modelsDirectory");
        this.log = Objects.requireNonNull(log, "log");
    }

    /**
     * Returns the path of the verified model, downloading it unless a verified copy is already there.
     *
     * @throws IOException when no source produced the right bytes; the message gives each source's reason, and no
     *                     file is left under the final name
     */
    public Path fetch(ModelArtifact artifact, List<? extends ModelSource> sources) throws IOException {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no sources to fetch " + artifact.fileName() + " from");
        }
        Files.createDirectories(modelsDirectory);
        Path target = modelsDirectory.resolve(artifact.fileName());
        if (Files.exists(target)) {
            String mismatch = mismatch(target, artifact);
            if (mismatch == null) {
                log.note(target + " is already present and its SHA-256 matches; nothing to download.");
                return target;
            }
            log.note(target + " is not the expected file (" + mismatch + "); deleting it and downloading again.");
            Files.delete(target);
        }

        Path partFile = modelsDirectory.resolve(artifact.partFileName());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            ModelSource source = sources.get(i);
            try {
                downloadVerified(source, artifact, partFile);
                Files.move(partFile, target, StandardCopyOption.ATOMIC_MOVE);
                return target;
            } catch (IOException e) {
                failures.add(source.name() + ": " + describe(e));
                if (i + 1 < sources.size()) {
                    log.note(source.name() + " failed: " + describe(e) + "; trying " + sources.get(i + 1).name() + ".");
                }
            }
        }
        throw new IOException("could not fetch " + artifact.fileName() + ". " + String.join("; ", failures));
    }

    private void downloadVerified(ModelSource source, ModelArtifact artifact, Path partFile) throws IOException {
        log.note("fetching " + artifact.fileName() + " from " + source.name() + ": " + source.origin());
        boolean hadPartialDownload = Files.exists(partFile) && Files.size(partFile) > 0;
        source.download(artifact, partFile, log);
        String mismatch = mismatch(partFile, artifact);
        if (mismatch != null && hadPartialDownload) {
            log.note("the resumed download is not the expected file (" + mismatch + "); starting over.");
            Files.delete(partFile);
            source.download(artifact, partFile, log);
            mismatch = mismatch(partFile, artifact);
        }
        if (mismatch != null) {
            Files.deleteIfExists(partFile);
            throw new IOException(mismatch);
        }
        log.note("verified " + artifact.fileName() + " (SHA-256 " + artifact.sha256() + ")");
    }

    /** Null when {@code file} is the artifact; otherwise what differs, expected against actual. */
    static String mismatch(Path file, ModelArtifact artifact) throws IOException {
        long size = Files.size(file);
        if (size != artifact.sizeBytes()) {
            return "size mismatch: expected " + artifact.sizeBytes() + " bytes, got " + size;
        }
        String actual = Sha256.ofFile(file);
        if (!actual.equals(artifact.sha256())) {
            return "SHA-256 mismatch: expected " + artifact.sha256() + ", got " + actual;
        }
        return null;
    }

    /**
     * One line for an exception: its message, then in parentheses whatever its causes add. Network errors often
     * carry no message of their own, and an unresolved host is named only by the type of its cause.
     */
    static String describe(Throwable error) {
        List<String> parts = new ArrayList<>();
        Throwable current = error;
        for (int depth = 0; current != null && depth < 5; depth++) {
            String part = current instanceof UnresolvedAddressException || current instanceof UnknownHostException
                    ? "host name not found" : current.getMessage();
            if (part != null && !part.isBlank() && parts.stream().noneMatch(earlier -> earlier.contains(part))) {
                parts.add(part);
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        if (parts.isEmpty()) {
            return error.getClass().getSimpleName();
        }
        String first = parts.getFirst();
        return parts.size() == 1 ? first : first + " (" + String.join("; ", parts.subList(1, parts.size())) + ")";
    }
}
