package io.kvsqueeze.engine.generate;

/** Why a generation ended; the names follow the OpenAI wire format's {@code finish_reason}. */
public enum FinishReason {
    /** An end-of-generation token or a stop string. */
    STOP,
    /** The requested maximum number of tokens. */
    LENGTH,
    /** The sequence filled the context. */
    CONTEXT_FULL
}
