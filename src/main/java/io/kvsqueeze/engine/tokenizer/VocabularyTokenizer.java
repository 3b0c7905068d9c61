package io.kvsqueeze.engine.tokenizer;

import io.kvsqueeze.engine.gguf.GgufFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What llama.cpp's {@code llama_vocab::impl::tokenize} and {@code token_to_piece} do for every vocabulary type:
 * split special tokens out of the text, add BOS/EOS, and render tokens back to bytes. Subclasses turn the text
 * between special tokens into ids, and say what bytes a NORMAL token stands for.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits ByteLevelBpeTokenizer, SentencePieceTokenizer {
    private static final byte[] NOTHING = new byte[0];

    final Vocabulary vocabulary;
    private final boolean cleanSpacesOnDecode;
    // Each token's bytes with specials rendered, computed on first use as llama.cpp's token-to-piece cache is.
    private volatile byte[][] renderedPieces;

    VocabularyTokenizer(Vocabulary vocabulary, boolean cleanSpacesOnDecode) {
        this.vocabulary = vocabulary;
        this.cleanSpacesOnDecode = cleanSpacesOnDecode;
        if (vocabulary.addBos() && vocabulary.bos() == Vocabulary.NO_TOKEN) {
            throw new GgufFormatException(vocabulary.source() + ": the vocabulary asks for a BOS token but has none");
        }
        if (vocabulary.addEos() && vocabulary.eos() == Vocabulary.NO_TOKEN) {
            throw new GgufFormatException(vocabulary.source() + ": the vocabulary asks for an EOS token but has none");
        }
    }

    /**
     * Appends the ids of {@code text}, a piece of input between special tokens.
     *
     * @param atStartOrAfterSpecial whether the piece starts the input or follows a special token
     *                              (SentencePiece adds its space prefix there)
     */
    abstract void encodeText(String text, boolean atStartOrAfterSpecial, TokenIdBuffer out);

    /** The bytes a NORMAL token stands for. */
    abstract byte[] normalTokenBytes(int id);

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        TokenIdBuffer out = new TokenIdBuffer();
        if (addSpecial && vocabulary.addBos()) {
            out.add(vocabulary.bos());
        }
        boolean atStartOrAfterSpecial = true;
        for (Fragment fragment : splitSpecialTokens(withoutLoneSurrogates(text), parseSpecial)) {
            switch (fragment) {
                case Fragment.Text piece -> {
                    encodeText(piece.text(), atStartOrAfterSpecial, out);
                    atStartOrAfterSpecial = false;
                }
                case Fragment.Special special -> {
                    out.add(special.id());
                    atStartOrAfterSpecial = true;
                }
            }
        }
        if (addSpecial && vocabulary.addEos()) {
            out.add(vocabulary.eos());
        }
        return out.toArray();
    }

    /** A piece of the input: text still to tokenize, or a special token split out of it. */
    private sealed interface Fragment {
        record Text(String text) implements Fragment {
        }

        record Special(int id) implements Fragment {
        }
    }

    /**
     * {@code text} split on every occurrence of each special token's text, longest tokens first (llama.cpp's
     * {@code tokenizer_st_partition}). Control and unknown tokens are only split out when {@code parseSpecial};
     * user-defined tokens always are.
     */
    private List<Fragment> splitSpecialTokens(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment.Text(text));
        for (int id : vocabulary.splittableSpecialIdsLongestFirst()) {
            if (!parseSpecial && vocabulary.has(id, Vocabulary.CONTROL | Vocabulary.UNKNOWN)) {
                continue;
            }
            String special = vocabulary.text(id);
            List<Fragment> split = null;
            for (int i = 0; i < fragments.size(); i++) {
                Fragment fragment = fragments.get(i);
                if (fragment instanceof Fragment.Text(String piece) && piece.contains(special)) {
                    if (split == null) {
                        split = new ArrayList<>(fragments.subList(0, i));
                    }
                    int from = 0;
                    for (int at = piece.indexOf(special); at >= 0; at = piece.indexOf(special, from)) {
                        if (at > from) {
                            split.add(new Fragment.Text(piece.substring(from, at)));
                        }
                        split.add(new Fragment.Special(id));
                        from = at + special.length();
                    }
                    if (from < piece.length()) {
                        split.add(new Fragment.Text(piece.substring(from)));
                    }
                } else if (split != null) {
                    split.add(fragment);
                }
            }
            if (split != null) {
                fragments = split;
            }
        }
        return fragments;
    }

    /**
     * A Java String can hold unpaired surrogates, which have no UTF-8 form; they become U+FFFD, as invalid
     * UTF-8 input does in llama.cpp (Java's own encoder would turn them into '?').
     */
    private static String withoutLoneSurrogates(String text) {
        StringBuilder repaired = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (repaired != null) {
                    repaired.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (repaired == null) {
                    repaired = new StringBuilder(text.length()).append(text, 0, i);
                }
                repaired.append('\uFFFD');
            } else if (repaired != null) {
                repaired.append(c);
            }
        }
        return repaired == null ? text : repaired.toString();
    }

    /**
     * Appends the token for one byte that no vocabulary token covers otherwise. A vocabulary without it falls
     * back to its unknown token; without that either, the text cannot be represented, which we report rather
     * than drop the byte as llama.cpp does.
     */
    final void addByteToken(int byteValue, int byteTokenId, TokenIdBuffer out) {
        if (byteTokenId != Vocabulary.NO_TOKEN) {
            out.add(byteTokenId);
        } else if (vocabulary.unknown() != Vocabulary.NO_TOKEN) {
            out.add(vocabulary.unknown());
        } else {
            throw new IllegalArgumentException(String.format(
                    "the vocabulary of %s has no token for byte 0x%02X and no unknown token", vocabulary.source(),
                    byteValue));
        }
    }

    @Override
    public final String decode(int[] ids, boolean renderSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        // A space prefix added when encoding is removed from the first token only, as llama_detokenize does.
        boolean stripLeadingSpace = vocabulary.addSpacePrefix();
        for (int id : ids) {
            byte[] piece = piece(id, renderSpecial);
            int from = stripLeadingSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            stripLeadingSpace = false;
            bytes.write(piece, from, piece.length - from);
        }
        byte[] text = bytes.toByteArray();
        if (cleanSpacesOnDecode) {
            text = TokenizationSpaceCleanup.clean(text);
        }
        return new String(text, StandardCharsets.UTF_8);
    }

    @Override
    public final byte[] tokenBytes(int id, boolean renderSpecial) {
        return piece(id, renderSpecial).clone();
    }

    private byte[] piece(int id, boolean renderSpecial) {
        vocabulary.checkId(id);
        if (!renderSpecial && vocabulary.has(id, Vocabulary.CONTROL | Vocabulary.UNKNOWN)) {
            return NOTHING;
        }
        byte[][] pieces = renderedPieces;
        if (pieces == null) {
            pieces = renderAllPieces();
            renderedPieces = pieces; // racing threads compute equal tables; either may win
        }
        return pieces[id];
    }

    private byte[][] renderAllPieces() {
        byte[][] pieces = new byte[vocabulary.size()][];
        for (int id = 0; id < pieces.length; id++) {
            int attributes = vocabulary.attributes(id);
            if ((attributes & (Vocabulary.CONTROL | Vocabulary.UNKNOWN | Vocabulary.USER_DEFINED)) != 0) {
                pieces[id] = vocabulary.text(id).getBytes(StandardCharsets.UTF_8);
            } else if ((attributes & Vocabulary.NORMAL) != 0) {
                pieces[id] = normalTokenBytes(id);
            } else if ((attributes & Vocabulary.BYTE) != 0) {
                pieces[id] = new byte[] {(byte) byteTokenValue(id)};
            } else {
                pieces[id] = NOTHING; // UNUSED and UNDEFINED tokens print as nothing, as in llama.cpp
            }
        }
        return pieces;
    }

    /** The byte a BYTE token such as {@code <0x0A>} stands for. */
    final int byteTokenValue(int id) {
        String text = vocabulary.text(id);
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return Integer.parseInt(text.substring(3, 5), 16);
            } catch (NumberFormatException notHex) {
                // reported below
            }
        }
        throw new GgufFormatException(vocabulary.source() + ": byte token " + id + " is '" + text
                + "', not of the form <0xNN>");
    }

    @Override
    public final int vocabularySize() {
        return vocabulary.size();
    }

    @Override
    public final int bosId() {
        return vocabulary.bos();
    }

    @Override
    public final int eosId() {
        return vocabulary.eos();
    }

    @Override
    public final boolean isEndOfGeneration(int id) {
        return vocabulary.isEndOfGeneration(id);
    }

    @Override
    public final boolean isControl(int id) {
        return vocabulary.has(id, Vocabulary.CONTROL);
    }

    @Override
    public final String tokenText(int id) {
        return vocabulary.text(id);
    }
}
