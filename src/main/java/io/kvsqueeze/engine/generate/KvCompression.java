package io.kvsqueeze.engine.generate;

import io.kvsqueeze.engine.model.ForwardPass;

/**
 * What a {@link Sequence} asks of a KV-compression policy, at the moments compression can act: around a
 * prompt's forward passes (to observe attention and then evict) and around each decoded token (to keep a
 * budget during generation). Implementations own any observers they install on the pass and remove them
 * before returning from {@link #afterPrefill} / {@link #afterAppend} / {@link #abandon}.
 */
public interface KvCompression {

    /** The full cache: never observes, never evicts. */
    KvCompression NONE = new KvCompression() {
    };

    /** Before the prompt tokens {@code [firstNewPosition, promptLength)} run. */
    default void beforePrefill(ForwardPass pass, int firstNewPosition, int promptLength) {
    }

    /** After the whole prompt ran; the cache holds it. This is where a prefill policy evicts. */
    default void afterPrefill(ForwardPass pass, int promptLength) {
    }

    /** Before the token at {@code position} runs. */
    default void beforeAppend(ForwardPass pass, int position) {
    }

    /** After a decoded token ran; the sequence now has {@code length} tokens. */
    default void afterAppend(ForwardPass pass, int length) {
    }

    /**
     * A forward pass failed (the cache was already cut back to the tokens before it) or the sequence was reset
     * (the cache is empty): drop observers and any state about entries the cache no longer holds.
     */
    default void abandon(ForwardPass pass) {
    }

    /**
     * Whether the cache holds every token of the sequence, so a new prompt may reuse its cached prefix. False
     * once entries were dropped: they were chosen for the previous prompt.
     */
    default boolean keepsEveryEntry() {
        return true;
    }
}
