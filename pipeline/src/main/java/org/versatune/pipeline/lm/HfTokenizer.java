package org.versatune.pipeline.lm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Hugging Face {@code tokenizer.json} of a byte-level BPE (GPT-2, Llama 3 and their kin): a vocabulary of
 * token strings in which every byte is one printable character (GPT-2's byte-to-unicode table), the merges in
 * rank order, the special ("added") tokens, and the pre-tokenizer that splits text into words. Only what a
 * byte-level BPE uses is accepted; any other normalizer, pre-tokenizer or model option stops with an error that
 * names the field, because ignoring it would silently give different ids.
 */
public final class HfTokenizer {
    static final String CHECKPOINT_TYPE = "hf-byte-bpe";
    /** The split of GPT-2's byte-level pre-tokenizer ({@code "use_regex": true}). */
    static final String GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String[] OWN_SPECIALS = {"<pad>", "<bos>", "<eos>", "<sep>"};

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

    /**
     * Reads a tokenizer.json. {@code vocabSize} is the model's (it may exceed the tokenizer's, never fall short);
     * {@code roles} gives the ids of the begin, end, padding and separator tokens (see {@link #addedTokens}).
     */
    @SuppressWarnings("unchecked")
    public static BpeTokenizer read(Map<String, Object> json, int vocabSize, BpeTokenizer.Specials roles, String file) {
        if (json.get("normalizer") != null) {
            throw unsupported(file, "normalizer", json.get("normalizer"));
        }
        Map<String, Object> model = map(json.get("model"), file, "model");
        if (!"BPE".equals(model.get("type"))) {
            throw unsupported(file, "model.type", model.get("type"));
        }
        for (String f : new String[]{"dropout", "continuing_subword_prefix", "end_of_word_suffix", "unk_token"}) {
            Object v = model.get(f);
            if (v != null && !"".equals(v)) {
                throw unsupported(file, "model." + f, v);
            }
        }
        if (Boolean.TRUE.equals(model.get("byte_fallback"))) {
            throw unsupported(file, "model.byte_fallback", true);
        }
        Pattern split = Pattern.compile(splitPattern(json.get("pre_tokenizer"), file), Pattern.UNICODE_CHARACTER_CLASS);
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
            Integer id = ids.get(String.valueOf(BYTE_CHARS[b]));
            if (id == null) {
                throw new IllegalArgumentException(file + ": model.vocab lacks the token of byte " + b
                        + " ('" + BYTE_CHARS[b] + "'); a byte-level BPE has all 256");
            }
            byteId[b] = id;
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
        return new BpeTokenizer(byteId, left, right, made, vocabSize, roles, split,
                Boolean.TRUE.equals(model.get("ignore_merges")), json);
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
            return Boolean.FALSE.equals(p.get("use_regex")) ? "(?s).+" : GPT2_SPLIT;
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
        m.put("tokenizer", t.source());
        return m;
    }

    @SuppressWarnings("unchecked")
    static BpeTokenizer fromCheckpointJson(Map<String, Object> m) {
        Map<String, Object> s = (Map<String, Object>) m.get("specials");
        BpeTokenizer.Specials roles = new BpeTokenizer.Specials(((Number) s.get("pad")).intValue(),
                ((Number) s.get("bos")).intValue(), ((Number) s.get("eos")).intValue(), ((Number) s.get("sep")).intValue());
        return read((Map<String, Object>) m.get("tokenizer"), ((Number) m.get("vocab_size")).intValue(), roles,
                "checkpoint tokenizer.json");
    }
}
