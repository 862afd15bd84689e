package org.versatune.pipeline.lm;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Hugging Face {@code tokenizer.json} of a BPE: byte-level (GPT-2, Llama 3, Qwen2: a vocabulary of token
 * strings in which every byte is one printable character, GPT-2's byte-to-unicode table) or SentencePiece-style
 * (LLaMA-2, Mistral: tokens are text with U+2581 for spaces, characters the vocabulary lacks fall back to
 * {@code <0xNN>} byte tokens); the merges in rank order; the added tokens, found in text before anything else; the
 * normalizer (NFC, Prepend, Replace), pre-tokenizer (ByteLevel, a regex Split, Metaspace), post-processor template
 * and decoder ({@link TokenizerFront}). Only what these tokenizers use is accepted; any other option stops with an
 * error that names the field, because ignoring it would silently give different ids.
 */
public final class HfTokenizer {
    static final String CHECKPOINT_TYPE = "hf-byte-bpe";
    /** The split of GPT-2's byte-level pre-tokenizer ({@code "use_regex": true}). */
    static final String GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String[] OWN_SPECIALS = {"<pad>", "<bos>", "<eos>", "<sep>"};
    private static final String WHOLE = "(?s).+";

    private HfTokenizer() {
    }

    /** GPT-2's table: printable Latin-1 bytes stand for themselves, the rest are shifted to U+0100 and up. */
    private static final char[] BYTE_CHARS = byteToChar();

    private static char[] byteToChar() {
        char[] c = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            c[b] = printable ? (char) b : (char) (256 + shifted++);
        }
        return c;
    }

    static String tokenString(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_CHARS[b & 0xff]);
        }
        return sb.toString();
    }

    /** As {@link #read(Map, int, BpeTokenizer.Specials, String, boolean)}, special tokens recognised in text. */
    public static BpeTokenizer read(Map<String, Object> json, int vocabSize, BpeTokenizer.Specials roles, String file) {
        return read(json, vocabSize, roles, file, false);
    }

    /**
     * Reads a tokenizer.json. {@code vocabSize} is the model's (it may exceed the tokenizer's, never fall short);
     * {@code roles} gives the ids of the begin, end, padding and separator tokens (see {@link #addedTokens});
     * {@code splitSpecialTokens} takes the spelling of a special token in text as plain text.
     */
    @SuppressWarnings("unchecked")
    public static BpeTokenizer read(Map<String, Object> json, int vocabSize, BpeTokenizer.Specials roles, String file,
                                    boolean splitSpecialTokens) {
        Map<String, Object> model = map(json.get("model"), file, "model");
        if (!"BPE".equals(model.get("type"))) {
            throw unsupported(file, "model.type", model.get("type"));
        }
        for (String f : new String[]{"dropout", "continuing_subword_prefix", "end_of_word_suffix"}) {
            Object v = model.get(f);
            if (v != null && !"".equals(v)) {
                throw unsupported(file, "model." + f, v);
            }
        }
        boolean fallback = Boolean.TRUE.equals(model.get("byte_fallback"));
        // with every byte's token present, byte fallback never leaves a character unknown
        if (!fallback && model.get("unk_token") != null) {
            throw unsupported(file, "model.unk_token", model.get("unk_token") + " without byte_fallback");
        }
        boolean ignoreMerges = Boolean.TRUE.equals(model.get("ignore_merges"));
        if (fallback && ignoreMerges) {
            throw unsupported(file, "model.ignore_merges", "true with byte_fallback");
        }
        Map<String, Object> vocab = map(model.get("vocab"), file, "model.vocab");
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = ((Number) e.getValue()).intValue();
            ids.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        for (int id : addedTokens(json, file).keySet()) {
            maxId = Math.max(maxId, id);
        }
        if (maxId >= vocabSize) {
            throw new IllegalArgumentException(file + ": token id " + maxId + " is beyond the model's vocab_size " + vocabSize);
        }
        int[] byteId = new int[256];
        for (int b = 0; b < 256; b++) {
            String name = fallback ? String.format("<0x%02X>", b) : String.valueOf(BYTE_CHARS[b]);
            Integer id = ids.get(name);
            if (id == null) {
                throw new IllegalArgumentException(file + ": model.vocab lacks the token of byte " + b + " ('" + name + "'); "
                        + (fallback ? "byte fallback" : "a byte-level BPE") + " needs all 256");
            }
            byteId[b] = id;
        }
        Map<String, Integer> charIds = null;
        Map<Integer, byte[]> literal = new HashMap<>();
        if (fallback) {
            charIds = new HashMap<>();
            for (Map.Entry<String, Integer> e : ids.entrySet()) {
                if (e.getKey().codePointCount(0, e.getKey().length()) == 1) {
                    charIds.put(e.getKey(), e.getValue());
                    literal.put(e.getValue(), e.getKey().getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        List<Object> merges = (List<Object>) model.get("merges");
        int n = merges == null ? 0 : merges.size();
        int[] left = new int[n];
        int[] right = new int[n];
        int[] made = new int[n];
        for (int i = 0; i < n; i++) {
            String[] pair = mergePair(merges.get(i), file, i);
            Integer l = ids.get(pair[0]);
            Integer r = ids.get(pair[1]);
            Integer m = ids.get(pair[0] + pair[1]);
            if (l == null || r == null || m == null) {
                throw new IllegalArgumentException(file + ": model.merges[" + i + "] ('" + pair[0] + " " + pair[1]
                        + "') names a token missing from model.vocab");
            }
            left[i] = l;
            right[i] = r;
            made[i] = m;
        }
        for (int id : new int[]{roles.pad(), roles.bos(), roles.eos(), roles.sep()}) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException(file + ": special token id " + id + " is outside the vocabulary");
            }
        }
        TokenizerFront front = front(json, file, fallback, splitSpecialTokens, literal);
        return new BpeTokenizer(byteId, left, right, made, vocabSize, roles, front, charIds, literal, ignoreMerges, json);
    }

    /** Everything around the BPE model: added tokens, normalizer, pre-tokenizer, post-processor, decoder. */
    private static TokenizerFront front(Map<String, Object> json, String file, boolean fallback, boolean splitSpecialTokens,
                                        Map<Integer, byte[]> literal) {
        Map<String, Integer> added = new HashMap<>();
        List<String> normalized = new ArrayList<>();
        List<String> special = new ArrayList<>();
        if (json.get("added_tokens") instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                Map<String, Object> t = map(list.get(i), file, "added_tokens[" + i + "]");
                for (String f : new String[]{"single_word", "lstrip", "rstrip"}) {
                    if (Boolean.TRUE.equals(t.get(f))) {
                        throw unsupported(file, "added_tokens[" + i + "]." + f, true);
                    }
                }
                String content = String.valueOf(t.get("content"));
                int id = ((Number) t.get("id")).intValue();
                added.put(content, id);
                if (Boolean.TRUE.equals(t.get("normalized"))) {
                    normalized.add(content);
                }
                if (Boolean.TRUE.equals(t.get("special"))) {
                    special.add(content);
                } else {
                    literal.putIfAbsent(id, content.getBytes(StandardCharsets.UTF_8));   // decodes to its text
                }
            }
        }
        List<TokenizerFront.Norm> norms = new ArrayList<>();
        normalizer(json.get("normalizer"), file, "normalizer", norms);
        Pattern split = null;
        TokenizerFront.Metaspace metaspace = null;
        Object pre = json.get("pre_tokenizer");
        if (fallback) {
            if (pre != null) {
                metaspace = metaspace(map(pre, file, "pre_tokenizer"), file);
            }
        } else {
            split = Pattern.compile(splitPattern(pre, file), Pattern.UNICODE_CHARACTER_CLASS);
        }
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        postProcessor(json.get("post_processor"), file, "post_processor", prefix, suffix);
        List<String[]> replace = new ArrayList<>();
        int strip = decoder(json.get("decoder"), file, fallback, replace);
        return new TokenizerFront(added, normalized, special, norms, split, metaspace,
                prefix.stream().mapToInt(Integer::intValue).toArray(), suffix.stream().mapToInt(Integer::intValue).toArray(),
                replace, strip, splitSpecialTokens);
    }

    @SuppressWarnings("unchecked")
    private static void normalizer(Object o, String file, String field, List<TokenizerFront.Norm> out) {
        if (o == null) {
            return;
        }
        Map<String, Object> n = map(o, file, field);
        Object type = n.get("type");
        if ("Sequence".equals(type) && n.get("normalizers") instanceof List<?> seq) {
            for (int i = 0; i < seq.size(); i++) {
                normalizer(seq.get(i), file, field + ".normalizers[" + i + "]", out);
            }
        } else if ("NFC".equals(type)) {
            out.add(new TokenizerFront.Norm("NFC", null, null));
        } else if ("Prepend".equals(type) && n.get("prepend") instanceof String p) {
            out.add(new TokenizerFront.Norm("Prepend", p, null));
        } else if ("Replace".equals(type) && n.get("pattern") instanceof Map<?, ?> pat && pat.get("String") instanceof String from
                && n.get("content") instanceof String to) {
            out.add(new TokenizerFront.Norm("Replace", from, to));
        } else {
            throw unsupported(file, field, type + " (supported: NFC, Prepend, Replace of a string, a Sequence of these)");
        }
    }

    private static TokenizerFront.Metaspace metaspace(Map<String, Object> p, String file) {
        if (!"Metaspace".equals(p.get("type")) || !(p.get("replacement") instanceof String r)) {
            throw unsupported(file, "pre_tokenizer", p.get("type") + " (supported with byte_fallback: none, Metaspace)");
        }
        Object scheme = p.get("prepend_scheme");
        if (scheme == null) {
            scheme = Boolean.FALSE.equals(p.get("add_prefix_space")) ? "never" : "always";
        }
        if (!List.of("always", "first", "never").contains(scheme)) {
            throw unsupported(file, "pre_tokenizer.prepend_scheme", scheme);
        }
        return new TokenizerFront.Metaspace(r, (String) scheme, !Boolean.FALSE.equals(p.get("split")));
    }

    /** TemplateProcessing's single-sequence template as ids before and after the text; ByteLevel changes no id. */
    @SuppressWarnings("unchecked")
    private static void postProcessor(Object o, String file, String field, List<Integer> prefix, List<Integer> suffix) {
        if (o == null) {
            return;
        }
        Map<String, Object> p = map(o, file, field);
        Object type = p.get("type");
        if ("ByteLevel".equals(type)) {
            return;
        }
        if ("Sequence".equals(type) && p.get("processors") instanceof List<?> seq) {
            for (int i = 0; i < seq.size(); i++) {
                postProcessor(seq.get(i), file, field + ".processors[" + i + "]", prefix, suffix);
            }
            return;
        }
        if (!"TemplateProcessing".equals(type) || !(p.get("single") instanceof List<?> single)) {
            throw unsupported(file, field, type + " (supported: ByteLevel, TemplateProcessing, a Sequence of these)");
        }
        Map<String, Object> tokens = map(p.get("special_tokens"), file, field + ".special_tokens");
        boolean seen = false;
        for (Object item : single) {
            Map<String, Object> m = map(item, file, field + ".single[]");
            if (m.containsKey("Sequence")) {
                if (seen) {
                    throw unsupported(file, field + ".single", "a template with the sequence twice");
                }
                seen = true;
                continue;
            }
            Object name = map(m.get("SpecialToken"), file, field + ".single[].SpecialToken").get("id");
            Map<String, Object> t = map(tokens.get(String.valueOf(name)), file, field + ".special_tokens." + name);
            for (Object id : (List<Object>) t.get("ids")) {
                (seen ? suffix : prefix).add(((Number) id).intValue());
            }
        }
    }

    /**
     * Byte-level: no decoder or ByteLevel. Byte fallback: a Sequence of Replace (string), ByteFallback, Fuse and
     * Strip of leading spaces, as LLaMA-2 and Mistral ship it; fills the replacements, returns the strip count.
     */
    private static int decoder(Object o, String file, boolean fallback, List<String[]> replace) {
        Map<String, Object> d = o == null ? null : map(o, file, "decoder");
        if (!fallback) {
            if (d != null && !"ByteLevel".equals(d.get("type"))) {
                throw unsupported(file, "decoder", d.get("type") + " (supported for a byte-level BPE: ByteLevel)");
            }
            return 0;
        }
        if (d == null || !"Sequence".equals(d.get("type")) || !(d.get("decoders") instanceof List<?> seq)) {
            throw unsupported(file, "decoder", (d == null ? null : d.get("type"))
                    + " (supported with byte_fallback: a Sequence of Replace, ByteFallback, Fuse, Strip)");
        }
        int strip = 0;
        boolean bytes = false;
        for (int i = 0; i < seq.size(); i++) {
            Map<String, Object> s = map(seq.get(i), file, "decoder.decoders[" + i + "]");
            Object type = s.get("type");
            if ("Replace".equals(type) && s.get("pattern") instanceof Map<?, ?> pat && pat.get("String") instanceof String from
                    && s.get("content") instanceof String to) {
                replace.add(new String[]{from, to});
            } else if ("ByteFallback".equals(type)) {
                bytes = true;
            } else if ("Strip".equals(type) && " ".equals(s.get("content")) && s.get("start") instanceof Number start
                    && s.get("stop") instanceof Number stop && stop.intValue() == 0) {
                strip = start.intValue();
            } else if (!"Fuse".equals(type)) {
                throw unsupported(file, "decoder.decoders[" + i + "]", s);
            }
        }
        if (!bytes) {
            throw unsupported(file, "decoder", "a Sequence without ByteFallback (byte tokens would decode as their names)");
        }
        return strip;
    }

    /** The special tokens of a tokenizer.json: id to text. */
    @SuppressWarnings("unchecked")
    public static Map<Integer, String> addedTokens(Map<String, Object> json, String file) {
        Map<Integer, String> out = new TreeMap<>();
        Object added = json.get("added_tokens");
        if (added instanceof List<?> list) {
            for (Object o : list) {
                Map<String, Object> t = map(o, file, "added_tokens[]");
                out.put(((Number) t.get("id")).intValue(), String.valueOf(t.get("content")));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static String splitPattern(Object pre, String file) {
        Map<String, Object> p = map(pre, file, "pre_tokenizer");
        if ("ByteLevel".equals(p.get("type"))) {
            byteLevelWithoutPrefixSpace(p, file, "pre_tokenizer");
            return Boolean.FALSE.equals(p.get("use_regex")) ? WHOLE : GPT2_SPLIT;
        }
        if ("Sequence".equals(p.get("type")) && p.get("pretokenizers") instanceof List<?> seq && seq.size() == 2) {
            Map<String, Object> s = map(seq.get(0), file, "pre_tokenizer.pretokenizers[0]");
            Map<String, Object> b = map(seq.get(1), file, "pre_tokenizer.pretokenizers[1]");
            Object pattern = s.get("pattern") instanceof Map<?, ?> pm ? pm.get("Regex") : null;
            if ("Split".equals(s.get("type")) && pattern != null && "Isolated".equals(s.get("behavior"))
                    && !Boolean.TRUE.equals(s.get("invert")) && "ByteLevel".equals(b.get("type"))
                    && Boolean.FALSE.equals(b.get("use_regex"))) {
                byteLevelWithoutPrefixSpace(b, file, "pre_tokenizer.pretokenizers[1]");
                return pattern.toString();
            }
        }
        throw unsupported(file, "pre_tokenizer", p.get("type")
                + " (supported: ByteLevel, or a Sequence of an isolating Regex Split and ByteLevel without its regex)");
    }

    private static void byteLevelWithoutPrefixSpace(Map<String, Object> p, String file, String field) {
        if (Boolean.TRUE.equals(p.get("add_prefix_space"))) {
            throw unsupported(file, field + ".add_prefix_space", true);
        }
    }

    @SuppressWarnings("unchecked")
    private static String[] mergePair(Object m, String file, int i) {
        if (m instanceof String s) {
            int sp = s.indexOf(' ', 1);
            if (sp > 0 && s.indexOf(' ', sp + 1) < 0) {
                return new String[]{s.substring(0, sp), s.substring(sp + 1)};
            }
        } else if (m instanceof List<?> l && l.size() == 2) {
            return new String[]{String.valueOf(l.get(0)), String.valueOf(l.get(1))};
        }
        throw new IllegalArgumentException(file + ": model.merges[" + i + "] is not a pair of tokens: " + m);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String file, String field) {
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException(file + ": '" + field + "' is missing or not an object");
    }

    private static IllegalArgumentException unsupported(String file, String field, Object value) {
        return new IllegalArgumentException(file + ": unsupported " + field + " = " + value);
    }

    /** The tokenizer.json of a tokenizer: an imported one as it came, our own built from its merges. */
    public static Map<String, Object> write(BpeTokenizer t) {
        if (!t.own()) {
            return t.source();
        }
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < t.vocabSize(); id++) {
            byte[] b = t.bytesOf(id);
            if (b == null) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", id);
                a.put("content", OWN_SPECIALS[id]);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", true);
                added.add(a);
                vocab.put(OWN_SPECIALS[id], id);
            } else {
                vocab.put(tokenString(b), id);
            }
        }
        List<String> merges = new ArrayList<>();
        for (int i = 0; i < t.merges(); i++) {
            merges.add(tokenString(t.bytesOf(t.mergeLeft(i))) + " " + tokenString(t.bytesOf(t.mergeRight(i))));
        }
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("type", "Split");
        split.put("pattern", Map.of("Regex", BpeTokenizer.OWN_SPLIT));
        split.put("behavior", "Isolated");
        split.put("invert", false);
        Map<String, Object> byteLevel = byteLevel(false);
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("type", "Sequence");
        pre.put("pretokenizers", List.of(split, byteLevel));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", added);
        json.put("normalizer", null);
        json.put("pre_tokenizer", pre);
        json.put("post_processor", null);
        json.put("decoder", byteLevel(true));
        json.put("model", model);
        return json;
    }

    private static Map<String, Object> byteLevel(boolean useRegex) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "ByteLevel");
        m.put("add_prefix_space", false);
        m.put("trim_offsets", true);
        m.put("use_regex", useRegex);
        return m;
    }

    /** The token text of a special id (for special_tokens_map.json). */
    public static String specialText(BpeTokenizer t, int id) {
        if (t.own()) {
            return OWN_SPECIALS[id];
        }
        String s = addedTokens(t.source(), "tokenizer.json").get(id);
        if (s == null) {
            byte[] b = t.bytesOf(id);
            s = b == null ? null : tokenString(b);
        }
        return s;
    }

    static Map<String, Object> checkpointJson(BpeTokenizer t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", CHECKPOINT_TYPE);
        m.put("vocab_size", t.vocabSize());
        BpeTokenizer.Specials s = t.specials();
        m.put("specials", Map.of("pad", s.pad(), "bos", s.bos(), "eos", s.eos(), "sep", s.sep()));
        if (t.splitSpecialTokens()) {
            m.put("split_special_tokens", true);   // written only when set, so earlier checkpoints read as before
        }
        m.put("tokenizer", t.source());
        return m;
    }

    @SuppressWarnings("unchecked")
    static BpeTokenizer fromCheckpointJson(Map<String, Object> m) {
        Map<String, Object> s = (Map<String, Object>) m.get("specials");
        BpeTokenizer.Specials roles = new BpeTokenizer.Specials(((Number) s.get("pad")).intValue(),
                ((Number) s.get("bos")).intValue(), ((Number) s.get("eos")).intValue(), ((Number) s.get("sep")).intValue());
        return read((Map<String, Object>) m.get("tokenizer"), ((Number) m.get("vocab_size")).intValue(), roles,
                "checkpoint tokenizer.json", Boolean.TRUE.equals(m.get("split_special_tokens")));
    }
}
