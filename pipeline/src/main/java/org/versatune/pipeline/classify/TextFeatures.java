package org.versatune.pipeline.classify;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Hashed text features: lower-cased word unigrams and bigrams (a word is a run of letters/digits; every other
 * non-space character is a token of its own, which keeps code's punctuation), plus character n-grams of each
 * word padded with '<' and '>'. Values are sublinear term frequencies (1 + ln count). No strings are
 * allocated per token, so featurizing is a single pass over the characters.
 */
public final class TextFeatures implements Serializable {
    private static final long WORD = 0x9E3779B97F4A7C15L;
    private static final long BIGRAM = 0xC2B2AE3D27D4EB4FL;
    private static final long CHAR = 0x165667B19E3779F9L;
    private static final int MAX_WORD = 32;

    private final int numFeatures;
    private final int mask;
    private final int charMin;
    private final int charMax;

    /**
     * @param numFeatures a power of two
     * @param charMin     shortest character n-gram (0 = none)
     * @param charMax     longest character n-gram
     */
    public TextFeatures(int numFeatures, int charMin, int charMax) {
        if (Integer.bitCount(numFeatures) != 1) {
            throw new IllegalArgumentException("num-features must be a power of two, got " + numFeatures);
        }
        if (charMin < 0 || charMax < charMin || (charMin == 0 && charMax != 0)) {
            throw new IllegalArgumentException("char n-gram range must be 0..0 or 1 <= min <= max, got " + charMin + ".." + charMax);
        }
        this.numFeatures = numFeatures;
        this.mask = numFeatures - 1;
        this.charMin = charMin;
        this.charMax = charMax;
    }

    public int numFeatures() {
        return numFeatures;
    }

    public int charMin() {
        return charMin;
    }

    public int charMax() {
        return charMax;
    }

    /** Accumulates the features of {@code text} into {@code acc} (cleared first); returns the number of distinct features. */
    public int featurize(CharSequence text, Counts acc) {
        acc.clear();
        char[] word = acc.word;
        int wlen = 0;
        long wordHash = FNV;
        long prev = 0;
        boolean hasPrev = false;
        int n = text.length();
        for (int i = 0; i <= n; i++) {
            char c = i < n ? text.charAt(i) : ' ';
            if (Character.isLetterOrDigit(c)) {
                c = Character.toLowerCase(c);
                wordHash = (wordHash ^ c) * PRIME;
                if (wlen < MAX_WORD) {
                    word[wlen] = c;
                }
                wlen++;
                continue;
            }
            if (wlen > 0) {
                long h = mix(wordHash);
                acc.add(index(h ^ WORD));
                if (hasPrev) {
                    acc.add(index(mix(prev * 31 + h) ^ BIGRAM));
                }
                prev = h;
                hasPrev = true;
                if (charMin > 0) {
                    charGrams(word, Math.min(wlen, MAX_WORD), acc);
                }
                wlen = 0;
                wordHash = FNV;
            }
            if (!Character.isWhitespace(c) && !Character.isISOControl(c)) {
                long h = mix((FNV ^ c) * PRIME ^ 0x5bd1e995L);
                acc.add(index(h ^ WORD));
                if (hasPrev) {
                    acc.add(index(mix(prev * 31 + h) ^ BIGRAM));
                }
                prev = h;
                hasPrev = true;
            }
        }
        return acc.size;
    }

    private void charGrams(char[] w, int len, Counts acc) {
        // padded word: '<' + w + '>'
        int plen = len + 2;
        for (int start = 0; start < plen; start++) {
            long h = FNV;
            for (int k = 0; k < charMax && start + k < plen; k++) {
                int p = start + k;
                char c = p == 0 ? '<' : p == plen - 1 ? '>' : w[p - 1];
                h = (h ^ c) * PRIME;
                if (k + 1 >= charMin) {
                    acc.add(index(mix(h) ^ CHAR));
                }
            }
        }
    }

    private int index(long h) {
        return (int) (mix(h) & mask);
    }

    private static final long FNV = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** A reusable feature-count table (open addressing), one per thread. */
    public static final class Counts {
        int[] keys = new int[1024];
        float[] vals = new float[1024];
        int[] used = new int[512];
        int size;
        final char[] word = new char[MAX_WORD];

        public Counts() {
            Arrays.fill(keys, -1);
        }

        void clear() {
            for (int i = 0; i < size; i++) {
                keys[used[i]] = -1;
            }
            size = 0;
        }

        void add(int key) {
            int m = keys.length - 1;
            int slot = (key * 0x9E3779B1) >>> 7 & m;
            while (true) {
                int k = keys[slot];
                if (k == key) {
                    vals[slot] += 1f;
                    return;
                }
                if (k == -1) {
                    keys[slot] = key;
                    vals[slot] = 1f;
                    if (size == used.length) {
                        used = Arrays.copyOf(used, size * 2);
                    }
                    used[size++] = slot;
                    if (size * 2 > keys.length) {
                        grow();
                    }
                    return;
                }
                slot = (slot + 1) & m;
            }
        }

        private void grow() {
            int[] oldKeys = keys;
            float[] oldVals = vals;
            int[] oldUsed = used;
            int n = size;
            keys = new int[oldKeys.length * 2];
            vals = new float[oldKeys.length * 2];
            used = new int[Math.max(oldUsed.length, n * 2)];
            Arrays.fill(keys, -1);
            size = 0;
            int m = keys.length - 1;
            for (int i = 0; i < n; i++) {
                int key = oldKeys[oldUsed[i]];
                int slot = (key * 0x9E3779B1) >>> 7 & m;
                while (keys[slot] != -1) {
                    slot = (slot + 1) & m;
                }
                keys[slot] = key;
                vals[slot] = oldVals[oldUsed[i]];
                used[size++] = slot;
            }
        }

        public int size() {
            return size;
        }

        /** Feature index of the i-th distinct feature. */
        public int key(int i) {
            return keys[used[i]];
        }

        /** Raw count of the i-th distinct feature. */
        public float count(int i) {
            return vals[used[i]];
        }
    }
}
