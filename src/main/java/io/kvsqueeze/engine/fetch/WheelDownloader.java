package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.nio.file.Path;

/** Gets one Python wheel file onto disk. */
public interface WheelDownloader {

    /** A short name for messages, such as "pip". */
    String name();

    /** Downloads the wheel into the empty {@code directory} and returns its path. */
    Path downloadWheel(Path directory, FetchLog log) throws IOException;
}
