package io.kvsqueeze.spring.ai;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.DefaultChatOptions;
import org.springframework.ai.chat.prompt.DefaultChatOptionsBuilder;

/**
 * {@link ChatOptions} plus what the local engine can do beyond the portable set: a {@code seed} for reproducible
 * sampling and {@code minP}. Any other {@code ChatOptions} works too; it simply has no seed or min-p.
 */
public final class KvSqueezeChatOptions extends DefaultChatOptions {
    private final @Nullable Long seed;
    private final @Nullable Double minP;

    private KvSqueezeChatOptions(Builder builder) {
        super(builder.model(), builder.frequencyPenalty(), builder.maxTokens(), builder.presencePenalty(),
                builder.stopSequences(), builder.temperature(), builder.topK(), builder.topP());
        this.seed = builder.seed;
        this.minP = builder.minP;
    }

    public static Builder builder() {
        return new Builder();
    }

    public @Nullable Long getSeed() {
        return seed;
    }

    public @Nullable Double getMinP() {
        return minP;
    }

    @Override
    public Builder mutate() {
        Builder builder = new Builder();
        builder.model(getModel()).frequencyPenalty(getFrequencyPenalty()).maxTokens(getMaxTokens())
                .presencePenalty(getPresencePenalty()).stopSequences(getStopSequences())
                .temperature(getTemperature()).topK(getTopK()).topP(getTopP());
        return builder.seed(seed).minP(minP);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KvSqueezeChatOptions that && super.equals(that)
                && Objects.equals(seed, that.seed) && Objects.equals(minP, that.minP);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP);
    }

    /** Builds {@link KvSqueezeChatOptions}. */
    public static final class Builder extends DefaultChatOptionsBuilder<Builder> {
        private @Nullable Long seed;
        private @Nullable Double minP;

        public Builder seed(@Nullable Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(@Nullable Double minP) {
            this.minP = minP;
            return this;
        }

        @Override
        public Builder combineWith(ChatOptions.Builder<?> other) {
            super.combineWith(other);
            if (other instanceof Builder that) {
                if (that.seed != null) {
                    this.seed = that.seed;
                }
                if (that.minP != null) {
                    this.minP = that.minP;
                }
            }
            return this;
        }

        @Override
        public Builder clone() {
            Builder copy = super.clone();
            copy.seed = seed;
            copy.minP = minP;
            return copy;
        }

        @Override
        public KvSqueezeChatOptions build() {
            return new KvSqueezeChatOptions(this);
        }

        // Field accessors for the options' constructor; the builder's fields are protected in the superclass.
        private @Nullable String model() {
            return model;
        }

        private @Nullable Double frequencyPenalty() {
            return frequencyPenalty;
        }

        private @Nullable Integer maxTokens() {
            return maxTokens;
        }

        private @Nullable Double presencePenalty() {
            return presencePenalty;
        }

        private @Nullable List<String> stopSequences() {
            return stopSequences;
        }

        private @Nullable Double temperature() {
            return temperature;
        }

        private @Nullable Integer topK() {
            return topK;
        }

        private @Nullable Double topP() {
            return topP;
        }
    }
}
