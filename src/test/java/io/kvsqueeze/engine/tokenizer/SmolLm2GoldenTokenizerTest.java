package io.kvsqueeze.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.ReferenceModel;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Our tokenizer against llama.cpp on the SmolLM2 vocabulary: ids, detokenized text, every token's piece, and the
 * end-of-generation and control sets, from {@code golden/tokenizer-smollm2.json} (written by
 * {@code make_tokenizer_goldens.py}). Also the other pre-tokenizers, which the script ran with
 * {@code tokenizer.ggml.pre} overridden on the same vocabulary. Skipped until the GGUF parser is merged.
 */
class SmolLm2GoldenTokenizerTest {
    private static final JsonNode GOLDEN = readGolden();
    private static final Map<String, Tokenizer> TOKENIZERS_BY_PRE = new HashMap<>();

    private static JsonNode readGolden() {
        try (InputStream in = SmolLm2GoldenTokenizerTest.class.getResourceAsStream("/golden/tokenizer-smollm2.json")) {
            return JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized Tokenizer tokenizer(String preTokenizer) {
        GgufMetadata metadata = ReferenceModel.metadataOrSkip();
        return TOKENIZERS_BY_PRE.computeIfAbsent(preTokenizer, pre -> {
            if (pre == null) {
                return Tokenizer.fromGguf(metadata);
            }
            Map<String, Object> values = new HashMap<>(metadata.asMap());
            values.put("tokenizer.ggml.pre", pre);
            return Tokenizer.fromGguf(new GgufMetadata(metadata.source() + " with pre=" + pre, values));
        });
    }

    private static Tokenizer modelTokenizer() {
        return tokenizer(null);
    }

    static Stream<Arguments> cases() {
        return stream(GOLDEN.get("cases")).map(golden -> Arguments.of(golden.get("name").asString(), golden));
    }

    static Stream<Arguments> preTokenizerVariantCases() {
        List<Arguments> arguments = new ArrayList<>();
        Map<String, String> textsByName = new HashMap<>();
        stream(GOLDEN.get("cases")).forEach(c -> textsByName.put(c.get("name").asString(), c.get("text").asString()));
        for (var variant : GOLDEN.get("pre_tokenizer_variants").properties()) {
            for (JsonNode golden : variant.getValue()) {
                String name = golden.get("name").asString();
                arguments.add(Arguments.of(variant.getKey(), name, textsByName.get(name), golden));
            }
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void idsMatchLlamaCpp(String name, JsonNode golden) {
        String text = golden.get("text").asString();
        Tokenizer tokenizer = modelTokenizer();

        assertThat(tokenizer.encode(text, false, true)).as("parse special").containsExactly(ids(golden, "ids_parse_special"));
        assertThat(tokenizer.encode(text, false, false)).as("no parse special").containsExactly(ids(golden, "ids_no_parse_special"));
        assertThat(tokenizer.encode(text, true, true)).as("add special").containsExactly(ids(golden, "ids_add_special_parse_special"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodingMatchesLlamaCpp(String name, JsonNode golden) {
        int[] ids = ids(golden, "ids_parse_special");
        Tokenizer tokenizer = modelTokenizer();

        assertThat(tokenizer.decode(ids, true)).isEqualTo(golden.get("detokenized_render_special").asString());
        assertThat(tokenizer.decode(ids, false)).isEqualTo(golden.get("detokenized_hide_special").asString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void streamingTokenByTokenGivesTheDetokenizedTextWithoutBrokenCharacters(String name, JsonNode golden) {
        Utf8StreamDecoder hidingSpecials = new Utf8StreamDecoder(modelTokenizer());
        Utf8StreamDecoder renderingSpecials = new Utf8StreamDecoder(modelTokenizer(), true);
        StringBuilder hidden = new StringBuilder();
        StringBuilder rendered = new StringBuilder();
        for (int id : ids(golden, "ids_parse_special")) {
            hidden.append(hidingSpecials.accept(id));
            rendered.append(renderingSpecials.accept(id));
        }
        assertThat(hidingSpecials.finish() + renderingSpecials.finish()).isEmpty();
        assertThat(hidden.toString()).isEqualTo(golden.get("detokenized_hide_special").asString());
        assertThat(rendered.toString()).isEqualTo(golden.get("detokenized_render_special").asString());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("preTokenizerVariantCases")
    void otherPreTokenizersMatchLlamaCpp(String preTokenizer, String name, String text, JsonNode golden) {
        Tokenizer tokenizer = tokenizer(preTokenizer);
        int[] expected = ids(golden, "ids_parse_special");

        assertThat(tokenizer.encode(text, false, true)).containsExactly(expected);
        assertThat(tokenizer.decode(expected, true)).isEqualTo(golden.get("detokenized_render_special").asString());
    }

    @Test
    void everyTokenPieceMatchesLlamaCpp() {
        Tokenizer tokenizer = modelTokenizer();

        assertThat(tokenizer.vocabularySize()).isEqualTo(GOLDEN.get("vocabulary_size").asInt());
        assertThat(piecesDigest(tokenizer, true)).isEqualTo(GOLDEN.get("pieces_sha256_render_special").asString());
        assertThat(piecesDigest(tokenizer, false)).isEqualTo(GOLDEN.get("pieces_sha256_hide_special").asString());
    }

    @Test
    void specialTokenSetsMatchLlamaCpp() {
        Tokenizer tokenizer = modelTokenizer();
        int size = tokenizer.vocabularySize();

        assertThat(tokenizer.bosId()).isEqualTo(GOLDEN.get("bos").asInt());
        assertThat(tokenizer.eosId()).isEqualTo(GOLDEN.get("eos").asInt());
        assertThat(IntStream.range(0, size).filter(tokenizer::isEndOfGeneration).toArray())
                .containsExactly(ids(GOLDEN, "end_of_generation_ids"));
        assertThat(IntStream.range(0, size).filter(tokenizer::isControl).toArray())
                .containsExactly(ids(GOLDEN, "control_ids"));
    }

    /** SHA-256 over every token's piece, each prefixed by its length as a 4-byte big-endian int (as the script). */
    private static String piecesDigest(Tokenizer tokenizer, boolean renderSpecial) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (int id = 0; id < tokenizer.vocabularySize(); id++) {
                byte[] piece = tokenizer.tokenBytes(id, renderSpecial);
                digest.update(ByteBuffer.allocate(4).putInt(piece.length).array());
                digest.update(piece);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] ids(JsonNode node, String field) {
        return stream(node.get(field)).mapToInt(JsonNode::asInt).toArray();
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> elements = new ArrayList<>();
        array.forEach(elements::add);
        return elements.stream();
    }
}
