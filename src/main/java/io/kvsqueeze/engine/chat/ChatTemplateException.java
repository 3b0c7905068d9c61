package io.kvsqueeze.engine.chat;

/**
 * A chat template that cannot turn the conversation into a prompt: it is malformed, or it refused the
 * messages through {@code raise_exception} (e.g. "Conversation roles must alternate user/assistant/...").
 */
public class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
