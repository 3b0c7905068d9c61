package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.Objects;

/** The model file at a plain HTTP(S) URL, resumable if the server honours Range requests. */
public final class HttpModelSource implements ModelSource {
    private final String name;
    private final URI uri;
    private final HttpClient client;

    public HttpModelSource(String name, URI uri, HttpClient client) {
        this.name = Objects.requireNonNull(name, "name");
        this.uri = Objects.requireNonNull(uri, "uri");
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String origin() {
        return uri.toString();
    }

    @Override
    public void download(ModelArtifact artifact, Path partFile, FetchLog log) throws IOException {
        HttpDownloads.download(client, uri, partFile, artifact.sizeBytes(), true, log, artifact.fileName());
    }
}
