package io.kvsqueeze.engine.gguf;

/** A GGUF file that cannot be used: malformed, truncated, or of a type or architecture this engine lacks. */
public class GgufFormatException extends RuntimeException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
