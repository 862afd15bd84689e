package org.versatune.pipeline.lm;

import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE. Our own, trained from the corpus, has ids 0 pad, 1 begin, 2 end, 3 separator (between an SFT
 * prompt and its response), 4..259 the 256 byte values, then one id per learned merge; its text is first split
 * into words (an optional leading space followed by a run of letters, of digits, or of other symbols; whitespace
 * runs stand alone: {@link #OWN_SPLIT}), and merges never cross word boundaries. Training is deterministic: ties
 * go to the smaller pair. An imported tokenizer ({@link HfTokenizer}) keeps its own ids for bytes, merges and
 * special tokens, and its own text handling ({@link TokenizerFront}: added tokens, normalizer, pre-tokenizer,
 * template, decoder); encoding is the same algorithm (lowest-ranked merge first). A SentencePiece-style vocabulary
 * (byte fallback) starts each word from its characters' tokens instead of its bytes', and a character it lacks
 * from the {@code <0xNN>} tokens of its UTF-8 bytes.
 */
public final class BpeTokenizer implements Serializable {
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int SEP = 3;
    static final int BYTES = 4;
    static final int BASE = BYTES + 256;
    private static final int CACHE_LIMIT = 200_000;

    /** Whitespace as {@link Character#isWhitespace} defines it, spelt out so that any regex engine reads it. */
    private static final String WS = "\\t\\n\\u000B\\f\\r\\u001C-\\u001F \\u1680\\u2000-\\u2006\\u2008-\\u200A\\u2028\\u2029\\u205F\\u3000";

    /**
     * {@link #words}' rule as a portable regular expression (the training split): what an exported tokenizer.json
     * declares, so that other tokenizer libraries split text as we do.
     */
    public static final String OWN_SPLIT = " ?\\p{L}+| ?\\p{Nd}+| ?[^" + WS + "\\p{L}\\p{Nd}]+|[" + WS + "]+(?= [^" + WS + "])|[" + WS + "]+";

    /** Token ids with a role in our formats; an imported tokenizer may give several roles one id. */
    public record Specials(int pad, int bos, int eos, int sep) implements Serializable {
        public static final Specials OWN = new Specials(PAD, BOS, EOS, SEP);
    }

    private final int[] byteId;
    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final int[] mergeId;
    private final int vocabSize;
    private final Specials specials;
    private final TokenizerFront front;
    private final Map<String, Integer> charIds;   // byte fallback: a character's token; null for byte-level
    private final boolean ignoreMerges;
    private final Map<Long, Integer> rank = new HashMap<>();
    private final Map<String, Integer> wholeWords;
    private transient Map<String, int[]> cache;
    private final byte[][] bytesOf;
    /** The tokenizer.json an imported tokenizer came from (written back unchanged on export); null for our own. */
    private final Map<String, Object> source;

    public BpeTokenizer(int[] mergeLeft, int[] mergeRight) {
        this(ownBytes(), mergeLeft, mergeRight, ownMergeIds(mergeLeft.length), BASE + mergeLeft.length, Specials.OWN,
                null, null, Map.of(), false, null);
    }

    /**
     * A BPE with arbitrary ids: {@code byteId[b]} is the token of byte b, merge i joins (mergeLeft[i],
     * mergeRight[i]) into mergeId[i] and ranks before every later merge. {@code front} null means our own text
     * handling ({@link #words}); {@code charIds} (byte fallback) gives the token of each character the vocabulary
     * has, null for a byte-level BPE; {@code literal} gives the bytes of tokens no merge makes (characters, added
     * tokens that decode to their text); {@code ignoreMerges} takes a word whole when it is a token of its own.
     */
    BpeTokenizer(int[] byteId, int[] mergeLeft, int[] mergeRight, int[] mergeId, int vocabSize, Specials specials,
                 TokenizerFront front, Map<String, Integer> charIds, Map<Integer, byte[]> literal, boolean ignoreMerges,
                 Map<String, Object> source) {
        if (mergeLeft.length != mergeRight.length || mergeLeft.length != mergeId.length || byteId.length != 256) {
            throw new IllegalArgumentException("merge lists differ in length");
        }
        this.byteId = byteId.clone();
        this.mergeLeft = mergeLeft.clone();
        this.mergeRight = mergeRight.clone();
        this.mergeId = mergeId.clone();
        this.vocabSize = vocabSize;
        this.specials = specials;
        this.front = front;
        this.charIds = charIds == null ? null : Map.copyOf(charIds);
        this.ignoreMerges = ignoreMerges;
        this.source = source;
        bytesOf = new byte[vocabSize][];
        for (int b = 0; b < 256; b++) {
            int id = byteId[b];
            if (id < 0 || id >= vocabSize || bytesOf[id] != null) {
                throw new IllegalArgumentException("byte " + b + " has token id " + id + ", outside the vocabulary or taken");
            }
            bytesOf[id] = new byte[]{(byte) b};
        }
        literal.forEach((id, b) -> {
            if (bytesOf[id] == null) {
                bytesOf[id] = b.clone();
            }
        });
        for (int i = 0; i < mergeLeft.length; i++) {
            int l = mergeLeft[i];
            int r = mergeRight[i];
            int id = mergeId[i];
            if (l < 0 || r < 0 || l >= vocabSize || r >= vocabSize || bytesOf[l] == null || bytesOf[r] == null) {
                throw new IllegalArgumentException("merge " + i + " refers to a token no earlier merge or byte made");
            }
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("merge " + i + " makes token id " + id + ", outside the vocabulary");
            }
            rank.putIfAbsent(key(l, r), i);
            byte[] a = bytesOf[l];
            byte[] b = bytesOf[r];
            byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            bytesOf[id] = c;
        }
        wholeWords = new HashMap<>();
        if (ignoreMerges) {
            for (int id = 0; id < vocabSize; id++) {
                if (bytesOf[id] != null) {
                    wholeWords.put(new String(bytesOf[id], StandardCharsets.ISO_8859_1), id);
                }
            }
        }
    }

    private static int[] ownBytes() {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            ids[b] = BYTES + b;
        }
        return ids;
    }

    private static int[] ownMergeIds(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = BASE + i;
        }
        return ids;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public Specials specials() {
        return specials;
    }

    /** True for our own tokenizer (trained here), false for an imported one. */
    public boolean own() {
        return source == null;
    }

    /** The bytes of token {@code id}; null for special tokens. */
    byte[] bytesOf(int id) {
        return id >= 0 && id < bytesOf.length ? bytesOf[id] : null;
    }

    int merges() {
        return mergeLeft.length;
    }

    int mergeLeft(int i) {
        return mergeLeft[i];
    }

    int mergeRight(int i) {
        return mergeRight[i];
    }

    int mergeId(int i) {
        return mergeId[i];
    }

    Map<String, Object> source() {
        return source;
    }

    /** Learns merges from {@code texts} until the vocabulary has {@code vocabSize} entries (or no pair repeats). */
    public static BpeTokenizer train(Iterable<String> texts, int vocabSize) {
        if (vocabSize < BASE) {
            throw new IllegalArgumentException("vocabulary size must be at least " + BASE + " (specials + bytes), got " + vocabSize);
        }
        TreeMap<String, Integer> freq = new TreeMap<>();
        for (String t : texts) {
            for (String w : words(t)) {
                freq.merge(w, 1, Integer::sum);
            }
        }
        int n = freq.size();
        int[][] syms = new int[n][];
        int[] count = new int[n];
        int idx = 0;
        for (Map.Entry<String, Integer> e : freq.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] s = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                s[i] = BYTES + (b[i] & 0xff);
            }
            syms[idx] = s;
            count[idx++] = e.getValue();
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int w = 0; w < n; w++) {
            addPairs(syms[w], count[w], w, pairCount, where, 1);
        }
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0]) : Long.compare(a[1], b[1]));
        pairCount.forEach((k, c) -> heap.add(new long[]{c, k}));
        int merges = vocabSize - BASE;
        int[] left = new int[merges];
        int[] right = new int[merges];
        int made = 0;
        while (made < merges && !heap.isEmpty()) {
            long[] top = heap.poll();
            Long current = pairCount.get(top[1]);
            if (current == null || current != top[0]) {
                continue; // stale entry
            }
            if (current < 2) {
                break;
            }
            int a = (int) (top[1] >>> 32);
            int b = (int) top[1];
            int id = BASE + made;
            left[made] = a;
            right[made] = b;
            made++;
            Set<Integer> affected = where.remove(top[1]);
            pairCount.remove(top[1]);
            List<Integer> ws = new ArrayList<>(affected);
            ws.sort(Integer::compare);
            Map<Long, Long> changed = new HashMap<>();
            for (int w : ws) {
                int[] s = syms[w];
                addPairs(s, count[w], w, pairCount, where, -1, changed);
                syms[w] = merge(s, a, b, id);
                addPairs(syms[w], count[w], w, pairCount, where, 1, changed);
            }
            changed.keySet().stream().sorted().forEach(k -> {
                Long c = pairCount.get(k);
                if (c != null && c > 0) {
                    heap.add(new long[]{c, k});
                }
            });
        }
        return new BpeTokenizer(Arrays.copyOf(left, made), Arrays.copyOf(right, made));
    }

    private static void addPairs(int[] s, int c, int w, Map<Long, Long> pairCount, Map<Long, Set<Integer>> where, int sign) {
        addPairs(s, c, w, pairCount, where, sign, null);
    }

    private static void addPairs(int[] s, int c, int w, Map<Long, Long> pairCount, Map<Long, Set<Integer>> where,
                                 int sign, Map<Long, Long> changed) {
        for (int i = 0; i + 1 < s.length; i++) {
            long k = key(s[i], s[i + 1]);
            long v = pairCount.getOrDefault(k, 0L) + (long) sign * c;
            if (v <= 0) {
                pairCount.remove(k);
            } else {
                pairCount.put(k, v);
            }
            if (sign > 0) {
                where.computeIfAbsent(k, x -> new HashSet<>()).add(w);
            }
            if (changed != null) {
                changed.put(k, v);
            }
        }
    }

    private static int[] merge(int[] s, int a, int b, int id) {
        int[] out = new int[s.length];
        int j = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                out[j++] = id;
                i++;
            } else {
                out[j++] = s[i];
            }
        }
        return Arrays.copyOf(out, j);
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private static final Pattern OWN_PATTERN = Pattern.compile(OWN_SPLIT);

    /** Splits text into BPE words with our own rule; concatenating them gives the text back. */
    static List<String> words(String text) {
        return words(OWN_PATTERN, text);
    }

    /** The matches of {@code split} in order; text between matches (which a pattern may skip) is kept as words too. */
    static List<String> words(Pattern split, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = split.matcher(text);
        int at = 0;
        while (m.find()) {
            if (m.start() > at) {
                out.add(text.substring(at, m.start()));
            }
            if (m.end() > m.start()) {
                out.add(m.group());
            }
            at = m.end();
        }
        if (at < text.length()) {
            out.add(text.substring(at));
        }
        return out;
    }

    /** Token ids of {@code text} (no begin/end markers); special tokens written in it as the tokenizer says. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * Token ids of {@code text}; with {@code addSpecialTokens} the post-processor's template is applied (e.g.
     * LLaMA-2's {@code <s>} before the text), as Hugging Face's tokenizer does by default. Our own tokenizer has
     * no template.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        if (cache == null) {
            cache = new ConcurrentHashMap<>();
        }
        IntList out = new IntList();
        if (addSpecialTokens && front != null) {
            out.addAll(front.prefix());
        }
        if (front == null) {
            words(OWN_PATTERN, text).forEach(w -> out.addAll(cachedWord(w)));
        } else {
            front.split(text, out::add, w -> out.addAll(cachedWord(w)));
        }
        if (addSpecialTokens && front != null) {
            out.addAll(front.suffix());
        }
        return out.toArray();
    }

    /** Whether the spelling of a special token in text is encoded as plain text rather than as the token. */
    public boolean splitSpecialTokens() {
        return front != null && front.splitSpecialTokens();
    }

    private int[] cachedWord(String w) {
        int[] ids = cache.get(w);
        if (ids == null) {
            ids = encodeWord(w);
            if (cache.size() < CACHE_LIMIT) {
                cache.put(w, ids);
            }
        }
        return ids;
    }

    /** A growing int array. */
    private static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            for (int v : vs) {
                add(v);
            }
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    private int[] encodeWord(String w) {
        byte[] b = w.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            Integer whole = wholeWords.get(new String(b, StandardCharsets.ISO_8859_1));
            if (whole != null) {
                return new int[]{whole};
            }
        }
        int[] s = charIds == null ? bytesToIds(b) : charsToIds(w);
        int len = s.length;
        while (len > 1) {
            int best = Integer.MAX_VALUE;
            int at = -1;
            for (int i = 0; i + 1 < len; i++) {
                Integer r = rank.get(key(s[i], s[i + 1]));
                if (r != null && r < best) {
                    best = r;
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            int a = mergeLeft[best];
            int bb = mergeRight[best];
            int j = 0;
            for (int i = 0; i < len; i++) {
                if (i + 1 < len && s[i] == a && s[i + 1] == bb) {
                    s[j++] = mergeId[best];
                    i++;
                } else {
                    s[j++] = s[i];
                }
            }
            len = j;
        }
        return Arrays.copyOf(s, len);
    }

    private int[] bytesToIds(byte[] b) {
        int[] s = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            s[i] = byteId[b[i] & 0xff];
        }
        return s;
    }

    /** Each character's own token, or the tokens of its UTF-8 bytes where the vocabulary lacks it (byte fallback). */
    private int[] charsToIds(String w) {
        IntList s = new IntList();
        w.codePoints().forEach(cp -> {
            String c = new String(Character.toChars(cp));
            Integer id = charIds.get(c);
            if (id != null) {
                s.add(id);
            } else {
                s.addAll(bytesToIds(c.getBytes(StandardCharsets.UTF_8)));
            }
        });
        return s.toArray();
    }

    /** Text of token ids; special tokens are dropped, invalid UTF-8 is replaced; then the decoder's own steps. */
    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    public String decode(int[] ids, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id >= 0 && id < bytesOf.length && bytesOf[id] != null && (front == null || !front.skipOnDecode(id))) {
                out.writeBytes(bytesOf[id]);
            }
        }
        String text = out.toString(StandardCharsets.UTF_8);
        return front == null ? text : front.decoded(text);
    }

    /** Our checkpoint's form: our own tokenizer's merges, or an imported tokenizer.json with the roles of its ids. */
    public Map<String, Object> toJson() {
        if (source != null) {
            return HfTokenizer.checkpointJson(this);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "byte-bpe");
        m.put("vocab_size", vocabSize());
        m.put("specials", List.of("<pad>", "<bos>", "<eos>", "<sep>"));
        List<int[]> merges = new ArrayList<>();
        for (int i = 0; i < mergeLeft.length; i++) {
            merges.add(new int[]{mergeLeft[i], mergeRight[i]});
        }
        m.put("merges", merges);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static BpeTokenizer fromJson(Map<String, Object> m) {
        if (HfTokenizer.CHECKPOINT_TYPE.equals(m.get("type"))) {
            return HfTokenizer.fromCheckpointJson(m);
        }
        if (!"byte-bpe".equals(m.get("type"))) {
            throw new IllegalArgumentException("unsupported tokenizer type " + m.get("type"));
        }
        List<List<Number>> merges = (List<List<Number>>) m.get("merges");
        int[] l = new int[merges.size()];
        int[] r = new int[merges.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = merges.get(i).get(0).intValue();
            r[i] = merges.get(i).get(1).intValue();
        }
        BpeTokenizer t = new BpeTokenizer(l, r);
        if (((Number) m.get("vocab_size")).intValue() != t.vocabSize()) {
            throw new IllegalArgumentException("tokenizer vocab_size does not match its merges");
        }
        return t;
    }
}
