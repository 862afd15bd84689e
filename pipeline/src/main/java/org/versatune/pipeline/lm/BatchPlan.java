package org.versatune.pipeline.lm;

import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Groups examples into batches of similar length: each epoch shuffles the examples with a seed derived from
 * (seed, epoch), sorts windows of 64 batches' worth by length, cuts batches of at most {@code tokensPerBatch}
 * padded tokens (lengths rounded up to a multiple of 8), and shuffles the batch order. The batch of any
 * global step is therefore a pure function of (seed, step), which makes resuming exact.
 */
public final class BatchPlan {
    private final List<SftFormat.Example> examples;
    private final int tokensPerBatch;
    private final int context;
    private final long seed;
    private int cachedEpoch = -1;
    private List<int[]> cached;

    public BatchPlan(List<SftFormat.Example> examples, int tokensPerBatch, int context, long seed) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        this.examples = examples;
        this.tokensPerBatch = Math.max(tokensPerBatch, padded(2, context));
        this.context = context;
        this.seed = seed;
    }

    static int padded(int tokensWithShift, int context) {
        int len = Math.min(context, Math.max(1, tokensWithShift - 1));
        return Math.min(context, (len + 7) / 8 * 8);
    }

    /** Batches (as example indices) of one epoch. */
    public List<int[]> epoch(int epoch) {
        if (epoch == cachedEpoch) {
            return cached;
        }
        Random rnd = new Random(Seeds.derive(seed, "epoch", epoch));
        Integer[] order = new Integer[examples.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Collections.shuffle(Arrays.asList(order), rnd);
        int window = Math.max(1, 64 * Math.max(1, tokensPerBatch / context));
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += window) {
            Integer[] w = Arrays.copyOfRange(order, from, Math.min(order.length, from + window));
            Arrays.sort(w, (a, b) -> Integer.compare(examples.get(a).tokens().length, examples.get(b).tokens().length));
            List<Integer> cur = new ArrayList<>();
            int maxLen = 0;
            for (int idx : w) {
                int len = padded(examples.get(idx).tokens().length, context);
                int newMax = Math.max(maxLen, len);
                if (!cur.isEmpty() && (long) newMax * (cur.size() + 1) > tokensPerBatch) {
                    batches.add(cur.stream().mapToInt(Integer::intValue).toArray());
                    cur = new ArrayList<>();
                    newMax = len;
                }
                cur.add(idx);
                maxLen = newMax;
            }
            if (!cur.isEmpty()) {
                batches.add(cur.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(batches, rnd);
        cachedEpoch = epoch;
        cached = batches;
        return batches;
    }

    /** Steps in one pass over the examples. */
    public int stepsPerEpoch() {
        return epoch(0).size();
    }

    /** The batch of global step {@code step} (epochs follow one another). */
    public Batch batch(long step) {
        int per = stepsPerEpoch();
        int e = (int) (step / per);
        int[] idx = epoch(e).get((int) (step % per));
        int[][] seqs = new int[idx.length][];
        int[] from = new int[idx.length];
        int len = 8;
        for (int i = 0; i < idx.length; i++) {
            SftFormat.Example ex = examples.get(idx[i]);
            seqs[i] = ex.tokens();
            from[i] = ex.lossFrom();
            len = Math.max(len, padded(ex.tokens().length, context));
        }
        return Batch.of(seqs, from, len);
    }

    public List<SftFormat.Example> examples() {
        return examples;
    }
}
