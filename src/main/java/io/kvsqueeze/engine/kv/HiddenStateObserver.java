package io.kvsqueeze.engine.kv;

/**
 * Sees the residual stream around each layer's attention block, for methods that measure how much a layer
 * changes its input (SqueezeAttention's cosine similarity of the two). Off unless set on the forward pass.
 * Called on the thread that runs the forward pass, once per token of the batch, in order. The observer must
 * not keep {@code x} or change it; it copies what it needs.
 */
public interface HiddenStateObserver {

    /** {@code x[0..dim)} entering {@code layer}, before the attention RMSNorm, for the token at {@code position}. */
    void layerInput(int layer, int position, float[] x, int dim);

    /** {@code x[0..dim)} after {@code layer}'s attention and its residual add, before the feed-forward norm. */
    void afterAttention(int layer, int position, float[] x, int dim);
}
