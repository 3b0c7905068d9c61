package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.nio.file.Path;

/** One place a model file can come from. */
public interface ModelSource {

    /** A short name for messages, such as "Hugging Face". */
    String name();

    /** Where exactly the bytes come from (a URL, a package), for the "fetching from" message. */
    String origin();

    /**
     * Writes the artifact's bytes to {@code partFile}, resuming from what it already holds where the source can.
     * Returning normally means the bytes are all written, not that they are right: {@link ModelFetcher} verifies
     * them before the file gets its real name.
     */
    void download(ModelArtifact artifact, Path partFile, FetchLog log) throws IOException;
}
