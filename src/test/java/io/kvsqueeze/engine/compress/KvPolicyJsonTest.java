package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KvPolicyJsonTest {

    @Test
    void everyPresetOfTheIssueExistsAndRoundTripsThroughJson() {
        assertThat(KvPolicyPresets.names()).containsExactly("full", "streaming-llm", "h2o", "snapkv", "pyramidkv",
                "ada-snapkv", "ada-pyramidkv", "squeeze-snapkv", "squeeze-ada-snapkv", "kvcrush-snapkv",
                "kvcrush-ada-snapkv");
        for (String name : KvPolicyPresets.names()) {
            KvPolicy preset = KvPolicy.parse(name);
            assertThat(KvPolicy.parse(preset.toJson())).as(name).isEqualTo(preset);
        }
    }

    @Test
    void presetsCarryTheDocumentedDefaults() {
        KvPolicy adaPyramid = KvPolicy.parse("ada-pyramidkv");
        assertThat(adaPyramid.scorer()).isEqualTo(new ScorerSpec.SnapKv(32, Pooling.MAX, 7));
        assertThat(adaPyramid.layerAllocation()).isEqualTo(new LayerAllocation.Pyramid(20));
        assertThat(adaPyramid.headAllocation()).isEqualTo(new HeadAllocation.Adaptive(0.2));
        assertThat(adaPyramid.budget()).isEqualTo(new Budget.Tokens(512));
        assertThat(adaPyramid.sinkTokens()).isEqualTo(4);
        assertThat(adaPyramid.decodeEviction()).isFalse();
        assertThat(KvPolicy.parse("squeeze-snapkv").layerAllocation()).isEqualTo(new LayerAllocation.Squeeze(0.3));
        assertThat(KvPolicy.parse("kvcrush-snapkv").kvcrush())
                .contains(new KvCrushSpec(0.25, KvCrushSpec.Anchor.MEAN, 1));
        assertThat(KvPolicy.parse("full").isFull()).isTrue();
        assertThat(KvPolicy.parse("h2o").scorer()).isEqualTo(new ScorerSpec.H2o(32, false));
    }

    @Test
    void aPresetCanBeOverriddenFieldByField() {
        KvPolicy policy = KvPolicy.parse("""
                {"preset": "ada-snapkv", "budget": {"ratio": 0.2}, "decodeEviction": true,
                 "scorer": {"type": "snapkv", "window": 16}}""");
        assertThat(policy.budget()).isEqualTo(new Budget.Ratio(0.2));
        assertThat(policy.decodeEviction()).isTrue();
        assertThat(policy.headAllocation()).isEqualTo(new HeadAllocation.Adaptive(0.2));
        // The scorer object replaces the preset's scorer; omitted parameters take the method defaults.
        assertThat(policy.scorer()).isEqualTo(new ScorerSpec.SnapKv(16, Pooling.MAX, 7));
    }

    @Test
    void aFullObjectWithoutPresetUsesFieldDefaults() {
        KvPolicy policy = KvPolicy.parse("""
                {"scorer": {"type": "snapkv", "pooling": "avg", "kernel": 5},
                 "layerAllocation": {"type": "squeeze", "p": 0.5},
                 "headAllocation": "adaptive",
                 "kvcrush": {"fraction": 0.1, "anchor": "alternate", "page": 2},
                 "budget": {"tokens": 256}}""");
        assertThat(policy).isEqualTo(new KvPolicy(new ScorerSpec.SnapKv(32, Pooling.AVG, 5),
                new LayerAllocation.Squeeze(0.5), new HeadAllocation.Adaptive(0.2),
                Optional.of(new KvCrushSpec(0.1, KvCrushSpec.Anchor.ALTERNATE, 2)), new Budget.Tokens(256), 4,
                false));
        assertThat(KvPolicy.parse("{\"scorer\": \"streaming_llm\", \"kvcrush\": \"off\", \"sinkTokens\": 0}"))
                .isEqualTo(new KvPolicy(new ScorerSpec.StreamingLlm(), new LayerAllocation.Uniform(),
                        new HeadAllocation.Uniform(), Optional.empty(), new Budget.Tokens(512), 0, false));
        assertThat(KvPolicy.parse("{\"preset\": \"snapkv\", \"kvcrush\": true}").kvcrush())
                .contains(KvCrushSpec.defaults());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"preset": "snapkv", "budget": {"ratio": 1.5}}              | budget.ratio must be in (0, 1], was 1.5
            {"preset": "snapkv", "budget": {"ratio": 0}}                | budget.ratio must be in (0, 1], was 0.0
            {"preset": "snapkv", "budget": {"tokens": -3}}              | budget.tokens must be >= 1, was -3
            {"preset": "snapkv", "budget": {"tokens": 2.5}}             | budget.tokens must be an integer, was 2.5
            {"preset": "snapkv", "budget": {"tokens": 1, "ratio": 0.5}} | budget must have exactly one of tokens and ratio
            {"preset": "snapkv", "budget": {"tokens": 20}}              | budget.tokens must be at least scorer.window + sinkTokens = 36, was 20
            {"preset": "snapkv", "budget": {"token": 20}}               | budget.token is not a known field
            {"preset": "snapkv", "sinkTokens": -1}                      | sinkTokens must be >= 0, was -1
            {"preset": "snapkv", "colour": "red"}                       | colour is not a known field
            {"preset": "snapkvv"}                                       | preset must be one of full, streaming-llm
            {"scorer": {"type": "snapkv", "kernel": 4}}                 | scorer.kernel must be a positive odd number, was 4
            {"scorer": {"type": "snapkv", "window": 0}}                 | scorer.window must be >= 1, was 0
            {"scorer": {"type": "snapkv", "pooling": "min"}}            | scorer.pooling must be avg or max, was "min"
            {"scorer": {"type": "snapkv", "beta": 3}}                   | scorer.beta is not a known field
            {"scorer": {"type": "tova"}}                                | scorer.type must be one of none, streaming_llm, h2o, snapkv, was "tova"
            {"scorer": {"window": 8}}                                   | scorer.type must be given
            {"scorer": "h2o", "layerAllocation": {"type": "pyramid", "beta": 0}} | layerAllocation.beta must be >= 1, was 0
            {"scorer": "h2o", "layerAllocation": {"type": "squeeze", "p": 1.2}}  | layerAllocation.p must be in (0, 1], was 1.2
            {"scorer": "h2o", "headAllocation": {"type": "adaptive", "alpha": -0.1}} | headAllocation.alpha must be in [0, 1], was -0.1
            {"scorer": "h2o", "kvcrush": {"fraction": 1}}               | kvcrush.fraction must be in (0, 1), was 1.0
            {"scorer": "h2o", "kvcrush": {"anchor": "random"}}          | kvcrush.anchor must be one of alternate, mean, zeros, ones, was "random"
            {"scorer": "h2o", "kvcrush": {"page": 0}}                   | kvcrush.page must be >= 1, was 0
            {"scorer": "streaming_llm", "headAllocation": "adaptive"}   | headAllocation adaptive needs scorer h2o or snapkv, was streaming_llm
            {"scorer": "streaming_llm", "kvcrush": true}                | kvcrush needs scorer h2o or snapkv, was streaming_llm
            {"scorer": "none", "layerAllocation": "pyramid"}            | layerAllocation must be uniform when scorer is none, was pyramid
            {"scorer": "h2o", "decodeEviction": "yes"}                  | decodeEviction must be true or false, was "yes"
            {"budget": {"tokens": 64}}                                  | scorer must be given when no preset is named
            {"scorer": "snapkv", "scorer": "h2o"}                       | policy is not valid JSON
            """)
    void invalidSpecsAreRejectedNamingTheField(String spec, String message) {
        assertThatThrownBy(() -> KvPolicy.parse(spec)).isInstanceOf(KvPolicyException.class)
                .hasMessageStartingWith(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "SnapKV", "snap kv"})
    void unknownPresetNamesAreRejected(String spec) {
        assertThatThrownBy(() -> KvPolicy.parse(spec)).isInstanceOf(KvPolicyException.class)
                .hasMessageMatching("(preset must be one of .*|policy must be a preset name or a JSON object.*)");
    }

    @Test
    void aRatioBudgetIsAFloorOfThePromptLength() {
        assertThat(new Budget.Ratio(0.25).capacity(1003)).isEqualTo(250);
        assertThat(new Budget.Ratio(1).capacity(7)).isEqualTo(7);
        assertThat(new Budget.Tokens(96).capacity(10_000)).isEqualTo(96);
    }
}
