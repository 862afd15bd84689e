package org.versatune.pipeline.lm;

import java.io.Serializable;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Hugging Face tokenizer.json does around its BPE model, in the tokenizers library's order: the text is
 * cut at added tokens (those marked not normalized are found in the raw text, the others after normalization;
 * leftmost match first, the longest there), each remaining piece is normalized (NFC, Prepend, Replace) and
 * pre-tokenized (a regex Split, or Metaspace's space-to-U+2581 with its prepend scheme) into the words the BPE
 * model encodes; the post-processor's template then adds its special tokens. Decoding replaces and strips as the
 * decoder says. Special added tokens can instead be taken as plain text ({@code split_special_tokens}).
 */
final class TokenizerFront implements Serializable {
    /** One normalizer step: NFC, or Prepend (a = the prefix), or Replace (a with b). */
    record Norm(String type, String a, String b) implements Serializable {
        String apply(String s) {
            return switch (type) {
                case "NFC" -> Normalizer.normalize(s, Normalizer.Form.NFC);
                case "Prepend" -> s.isEmpty() ? s : a + s;
                case "Replace" -> s.replace(a, b);
                default -> throw new IllegalStateException(type);
            };
        }
    }

    /** Metaspace: spaces become {@code replacement}, prepended per {@code prependScheme}; split before each one. */
    record Metaspace(String replacement, String prependScheme, boolean split) implements Serializable {
    }

    private final Map<String, Integer> added;
    private final Pattern rawAdded;     // added tokens matched before normalization; null if none
    private final Pattern normAdded;    // after normalization; null if none
    private final List<Norm> normalizer;
    private final Pattern split;        // null: the piece is one word
    private final Metaspace metaspace;  // null without
    private final int[] prefix;
    private final int[] suffix;
    private final BitSet skipOnDecode;
    private final List<String[]> decodeReplace;
    private final int decodeStrip;
    private final boolean splitSpecialTokens;

    /**
     * {@code added}: every added token's text and id; {@code normalized} and {@code special} name those so marked.
     * {@code prefix}/{@code suffix}: the template's ids around the sequence. {@code decodeReplace}: pairs applied to
     * decoded text, then {@code decodeStrip} leading spaces removed.
     */
    TokenizerFront(Map<String, Integer> added, List<String> normalized, List<String> special, List<Norm> normalizer,
                   Pattern split, Metaspace metaspace, int[] prefix, int[] suffix, List<String[]> decodeReplace,
                   int decodeStrip, boolean splitSpecialTokens) {
        this.added = Map.copyOf(added);
        this.normalizer = List.copyOf(normalizer);
        this.split = split;
        this.metaspace = metaspace;
        this.prefix = prefix.clone();
        this.suffix = suffix.clone();
        this.decodeReplace = List.copyOf(decodeReplace);
        this.decodeStrip = decodeStrip;
        this.splitSpecialTokens = splitSpecialTokens;
        List<String> raw = new ArrayList<>();
        List<String> norm = new ArrayList<>();
        skipOnDecode = new BitSet();
        for (Map.Entry<String, Integer> e : added.entrySet()) {
            boolean isSpecial = special.contains(e.getKey());
            if (isSpecial) {
                skipOnDecode.set(e.getValue());
            }
            if (!(isSpecial && splitSpecialTokens)) {
                (normalized.contains(e.getKey()) ? norm : raw).add(e.getKey());
            }
        }
        rawAdded = alternation(raw);
        normAdded = alternation(norm);
    }

    /** Longest first, so that the regex's first matching alternative at a place is the longest one there. */
    private static Pattern alternation(List<String> tokens) {
        if (tokens.isEmpty()) {
            return null;
        }
        List<String> sorted = new ArrayList<>(tokens);
        sorted.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        StringBuilder sb = new StringBuilder();
        for (String t : sorted) {
            sb.append(sb.isEmpty() ? "" : "|").append(Pattern.quote(t));
        }
        return Pattern.compile(sb.toString());
    }

    boolean splitSpecialTokens() {
        return splitSpecialTokens;
    }

    int[] prefix() {
        return prefix;
    }

    int[] suffix() {
        return suffix;
    }

    boolean skipOnDecode(int id) {
        return skipOnDecode.get(id);
    }

    /** Calls {@code token} for each added token and {@code word} for each word of the text between them, in order. */
    void split(String text, IntConsumer token, Consumer<String> word) {
        cut(text, rawAdded, true, token, (piece, atStart) -> {
            String n = piece;
            for (Norm step : normalizer) {
                n = step.apply(n);
            }
            cut(n, normAdded, atStart, token, (sub, subAtStart) -> words(sub, subAtStart, word));
        });
    }

    private interface Piece {
        void accept(String piece, boolean atStart);
    }

    /** Pieces between matches of {@code tokens}; {@code atStart} says a piece begins the original text. */
    private void cut(String text, Pattern tokens, boolean atStart, IntConsumer token, Piece piece) {
        int at = 0;
        if (tokens != null) {
            Matcher m = tokens.matcher(text);
            while (m.find()) {
                if (m.start() > at) {
                    piece.accept(text.substring(at, m.start()), atStart && at == 0);
                }
                token.accept(added.get(m.group()));
                at = m.end();
            }
        }
        if (at < text.length()) {
            piece.accept(text.substring(at), atStart && at == 0);
        }
    }

    private void words(String piece, boolean atStart, Consumer<String> word) {
        if (piece.isEmpty()) {
            return;
        }
        String s = piece;
        if (metaspace != null) {
            String r = metaspace.replacement();
            s = s.replace(" ", r);
            boolean prepend = "always".equals(metaspace.prependScheme()) || "first".equals(metaspace.prependScheme()) && atStart;
            if (prepend && !s.startsWith(r)) {
                s = r + s;
            }
            if (metaspace.split()) {
                int from = 0;
                for (int i = s.indexOf(r, 1); i >= 0; i = s.indexOf(r, i + r.length())) {
                    word.accept(s.substring(from, i));
                    from = i;
                }
                word.accept(s.substring(from));
                return;
            }
        }
        if (split == null) {
            word.accept(s);
        } else {
            BpeTokenizer.words(split, s).forEach(word);
        }
    }

    /** The decoder's replacements and leading strip, on text already decoded from the tokens' bytes. */
    String decoded(String text) {
        String s = text;
        for (String[] r : decodeReplace) {
            s = s.replace(r[0], r[1]);
        }
        for (int i = 0; i < decodeStrip && s.startsWith(" "); i++) {
            s = s.substring(1);
        }
        return s;
    }
}
