package org.versatune.pipeline.lm;

/**
 * A batch of B sequences of length T (row-major): input tokens, target tokens and a loss mask (1 where the
 * target counts: every real token in pretraining, response tokens only in SFT; 0 on padding).
 */
public record Batch(int rows, int length, int[] tokens, int[] targets, float[] mask) {
    public Batch {
        int n = rows * length;
        if (tokens.length != n || targets.length != n || mask.length != n) {
            throw new IllegalArgumentException("batch arrays must hold rows x length = " + n + " entries");
        }
    }

    public double maskedTokens() {
        double s = 0;
        for (float m : mask) {
            s += m;
        }
        return s;
    }

    /**
     * Builds a batch from sequences of up to {@code length + 1} tokens each (inputs are all but the last
     * token, targets all but the first); {@code lossFrom[i]} is the first target position of row i that counts.
     */
    public static Batch of(int[][] seqs, int[] lossFrom, int length) {
        int b = seqs.length;
        int[] tok = new int[b * length];
        int[] tgt = new int[b * length];
        float[] mask = new float[b * length];
        for (int r = 0; r < b; r++) {
            int[] s = seqs[r];
            int usable = Math.min(s.length - 1, length);
            for (int t = 0; t < usable; t++) {
                tok[r * length + t] = s[t];
                tgt[r * length + t] = s[t + 1];
                mask[r * length + t] = t >= lossFrom[r] ? 1f : 0f;
            }
        }
        return new Batch(b, length, tok, tgt, mask);
    }
}
