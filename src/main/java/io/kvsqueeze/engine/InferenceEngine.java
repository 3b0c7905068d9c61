package io.kvsqueeze.engine;

import io.kvsqueeze.engine.chat.ChatTemplate;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.compress.PolicyKvCompression;
import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.generate.KvCompression;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.kv.KvPagePool;
import io.kvsqueeze.engine.kv.PagedKvCache;
import io.kvsqueeze.engine.model.ForwardPass;
import io.kvsqueeze.engine.model.LlamaConfig;
import io.kvsqueeze.engine.model.LlamaModel;
import io.kvsqueeze.engine.model.Rope;
import io.kvsqueeze.engine.model.Transformer;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model ready to generate on the CPU: weights, tokenizer, chat template, RoPE tables and the thread team.
 * Sequences created here share all of that and own their KV caches; they run one at a time (a scheduler runs
 * many in one batch through {@link #newTransformer}).
 */
public final class InferenceEngine implements AutoCloseable {
    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private ChatTemplate chatTemplate; // built on first use: Jinjava's start-up is ~0.4 s, and bench or
                                       // raw-prompt generation never needs it
    private final EngineOptions options;
    private final ThreadPool pool;
    private final Rope rope;
    private final Transformer transformer; // shared by the sequences made here, which run one at a time
    private final long loadNanos;

    private InferenceEngine(LlamaModel model, Tokenizer tokenizer, EngineOptions options, long loadNanos) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options;
        this.pool = new ThreadPool(options.threads());
        LlamaConfig config = model.config();
        this.rope = new Rope(config.headDim(), options.contextLength(), config.ropeTheta(), config.ropeScale(),
                model.weights().ropeFreqFactors(), config.ropeNeox());
        this.transformer = newTransformer(options.batchSize());
        this.loadNanos = loadNanos;
    }

    public static InferenceEngine load(Path modelPath, EngineOptions options) {
        if (!Files.isRegularFile(modelPath)) {
            throw new IllegalArgumentException("model file not found: " + modelPath
                    + " (run `./kvsqueeze model fetch` for the default model, or pass --model PATH)");
        }
        long start = System.nanoTime();
        LlamaModel model = LlamaModel.load(modelPath);
        try {
            Tokenizer tokenizer = Tokenizer.fromGguf(model.file().metadata());
            return new InferenceEngine(model, tokenizer, options, System.nanoTime() - start);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * A new, empty sequence with its own paged KV cache of {@code contextLength} entries per head, stored in F16:
     * the forward pass rounds K and V to half precision anyway (as llama.cpp does), so F16 storage gives the same
     * logits as F32 for half the memory.
     */
    public Sequence newSequence() {
        return newSequence(KvElementType.F16);
    }

    /** A new, empty sequence whose KV cache stores elements as {@code elementType}. */
    public Sequence newSequence(KvElementType elementType) {
        return newSequence(elementType, KvPolicy.parse("full"));
    }

    /** A new, empty sequence with an F16 cache compressed by {@code policy}. */
    public Sequence newSequence(KvPolicy policy) {
        return newSequence(KvElementType.F16, policy);
    }

    public Sequence newSequence(KvElementType elementType, KvPolicy policy) {
        LlamaConfig config = model.config();
        PagedKvCache cache = PagedKvCache.create(elementType, config.layers(), config.kvHeads(), config.headDim(),
                options.contextLength());
        return newSequence(transformer, cache, policy);
    }

    /**
     * A new, empty sequence on {@code transformer} (one of {@link #newTransformer}) whose pages come from {@code
     * kvPool}, shared with other sequences: how a scheduler runs many sequences in one batch under one budget.
     */
    public Sequence newSequence(Transformer transformer, KvPagePool kvPool, KvPolicy policy) {
        LlamaConfig config = model.config();
        return newSequence(transformer, new PagedKvCache(config.layers(), config.kvHeads(), options.contextLength(),
                kvPool), policy);
    }

    private Sequence newSequence(Transformer transformer, KvCache cache, KvPolicy policy) {
        LlamaConfig config = model.config();
        ForwardPass pass = new ForwardPass(transformer, cache, options.batchSize());
        KvCompression compression = policy.isFull() ? KvCompression.NONE
                : new PolicyKvCompression(policy, config.layers(), config.kvHeads());
        return new Sequence(pass, compression);
    }

    /**
     * A transformer for batches of up to {@code rowCapacity} rows (at least the prompt batch size) on this
     * engine's thread team. Transformers of one engine must not run at the same time.
     */
    public Transformer newTransformer(int rowCapacity) {
        return new Transformer(model, pool, rope, Math.max(rowCapacity, options.batchSize()), options.contextLength());
    }

    public LlamaModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The GGUF's chat template (ChatML when it has none), parsed on the first call. */
    public synchronized ChatTemplate chatTemplate() {
        if (chatTemplate == null) {
            chatTemplate = ChatTemplate.fromGguf(model.file().metadata(), tokenizer);
        }
        return chatTemplate;
    }

    public EngineOptions options() {
        return options;
    }

    /** Time spent opening, mapping and validating the model and building its tokenizer. */
    public long loadNanos() {
        return loadNanos;
    }

    @Override
    public void close() {
        pool.close();
        model.close();
    }
}
