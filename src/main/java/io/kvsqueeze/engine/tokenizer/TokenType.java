package io.kvsqueeze.engine.tokenizer;

/** The values of GGUF's {@code tokenizer.ggml.token_type} array (llama.cpp's {@code llama_token_type}). */
public enum TokenType {
    UNDEFINED(0),
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    private final int ggufCode;

    TokenType(int ggufCode) {
        this.ggufCode = ggufCode;
    }

    public int ggufCode() {
        return ggufCode;
    }

    /** Codes outside the known range become {@link #UNDEFINED}, as llama.cpp does. */
    public static TokenType fromGgufCode(int code) {
        for (TokenType type : values()) {
            if (type.ggufCode == code) {
                return type;
            }
        }
        return UNDEFINED;
    }
}
