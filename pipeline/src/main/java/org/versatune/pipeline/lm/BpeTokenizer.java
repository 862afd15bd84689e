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

/**
 * Byte-level BPE trained from the corpus. Ids: 0 pad, 1 begin, 2 end, 3 separator (between an SFT prompt and
 * its response), 4..259 the 256 byte values, then one id per learned merge. Text is first split into words
 * (an optional leading space followed by a run of letters, of digits, or of other symbols; whitespace runs
 * stand alone), and merges never cross word boundaries. Training is deterministic: ties go to the smaller pair.
 */
public final class BpeTokenizer implements Serializable {
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int SEP = 3;
    static final int BYTES = 4;
    static final int BASE = BYTES + 256;
    private static final int CACHE_LIMIT = 200_000;

    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final Map<Long, Integer> rank = new HashMap<>();
    private transient Map<String, int[]> cache;
    private final byte[][] bytesOf;

    public BpeTokenizer(int[] mergeLeft, int[] mergeRight) {
        if (mergeLeft.length != mergeRight.length) {
            throw new IllegalArgumentException("merge lists differ in length");
        }
        this.mergeLeft = mergeLeft.clone();
        this.mergeRight = mergeRight.clone();
        bytesOf = new byte[BASE + mergeLeft.length][];
        for (int b = 0; b < 256; b++) {
            bytesOf[BYTES + b] = new byte[]{(byte) b};
        }
        for (int i = 0; i < mergeLeft.length; i++) {
            int l = mergeLeft[i];
            int r = mergeRight[i];
            if (l < BYTES || r < BYTES || l >= BASE + i || r >= BASE + i) {
                throw new IllegalArgumentException("merge " + i + " refers to an unknown token");
            }
            rank.put(key(l, r), i);
            byte[] a = bytesOf[l];
            byte[] b = bytesOf[r];
            byte[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            bytesOf[BASE + i] = c;
        }
    }

    public int vocabSize() {
        return BASE + mergeLeft.length;
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

    /** Splits text into BPE words; concatenating them gives the text back. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            int start = i;
            int cp = text.codePointAt(i);
            if (cp == ' ' && i + 1 < n && !Character.isWhitespace(text.codePointAt(i + 1))) {
                i++;
                cp = text.codePointAt(i);
            }
            int cls = cls(cp);
            i += Character.charCount(cp);
            while (i < n) {
                int c = text.codePointAt(i);
                if (cls(c) != cls || cls == 2 && c == ' ' && i + 1 < n && !Character.isWhitespace(text.codePointAt(i + 1))) {
                    break;
                }
                i += Character.charCount(c);
            }
            out.add(text.substring(start, i));
        }
        return out;
    }

    private static int cls(int cp) {
        if (Character.isLetter(cp)) {
            return 0;
        }
        if (Character.isDigit(cp)) {
            return 1;
        }
        if (Character.isWhitespace(cp)) {
            return 2;
        }
        return 3;
    }

    /** Token ids of {@code text} (no begin/end markers). */
    public int[] encode(String text) {
        if (cache == null) {
            cache = new ConcurrentHashMap<>();
        }
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        for (String w : words(text)) {
            int[] ids = cache.get(w);
            if (ids == null) {
                ids = encodeWord(w);
                if (cache.size() < CACHE_LIMIT) {
                    cache.put(w, ids);
                }
            }
            parts.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int p = 0;
        for (int[] ids : parts) {
            System.arraycopy(ids, 0, out, p, ids.length);
            p += ids.length;
        }
        return out;
    }

    private int[] encodeWord(String w) {
        byte[] b = w.getBytes(StandardCharsets.UTF_8);
        int[] s = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            s[i] = BYTES + (b[i] & 0xff);
        }
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
                    s[j++] = BASE + best;
                    i++;
                } else {
                    s[j++] = s[i];
                }
            }
            len = j;
        }
        return Arrays.copyOf(s, len);
    }

    /** Text of token ids; special tokens are dropped, invalid UTF-8 is replaced. */
    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    public String decode(int[] ids, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id >= BYTES && id < bytesOf.length) {
                out.writeBytes(bytesOf[id]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    public Map<String, Object> toJson() {
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
