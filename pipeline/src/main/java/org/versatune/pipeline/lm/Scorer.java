package org.versatune.pipeline.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Forward-only scoring: summed NLL and counted targets per example (response tokens only for SFT pairs), and
 * multiple-choice prediction by length-normalised log-likelihood of each choice given the question.
 */
public final class Scorer {
    private Scorer() {
    }

    /** NLL sum and target count of one example. */
    public record Score(double nll, double tokens) {
    }

    /** Scores examples in length-sorted batches of at most {@code tokensPerBatch} padded tokens. */
    public static Score[] score(TransformerLm model, List<SftFormat.Example> examples, int tokensPerBatch) {
        int ctx = model.config().context();
        Integer[] order = new Integer[examples.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(examples.get(a).tokens().length, examples.get(b).tokens().length));
        Score[] out = new Score[examples.size()];
        int i = 0;
        while (i < order.length) {
            List<Integer> group = new ArrayList<>();
            int len = 8;
            while (i < order.length) {
                int l = BatchPlan.padded(examples.get(order[i]).tokens().length, ctx);
                int newLen = Math.max(len, l);
                if (!group.isEmpty() && (long) newLen * (group.size() + 1) > tokensPerBatch) {
                    break;
                }
                group.add(order[i]);
                len = newLen;
                i++;
            }
            int[][] seqs = new int[group.size()][];
            int[] from = new int[group.size()];
            for (int g = 0; g < seqs.length; g++) {
                seqs[g] = examples.get(group.get(g)).tokens();
                from[g] = examples.get(group.get(g)).lossFrom();
            }
            double[] counts = new double[seqs.length];
            double[] nll = model.score(Batch.of(seqs, from, len), counts);
            for (int g = 0; g < seqs.length; g++) {
                out[group.get(g)] = new Score(nll[g], counts[g]);
            }
        }
        return out;
    }

    /** Index of the choice with the highest mean log-likelihood of its tokens after the question. */
    public static int choose(TransformerLm model, BpeTokenizer tok, String question, List<String> choices, int tokensPerBatch) {
        int[] q = tok.encode(question);
        List<SftFormat.Example> ex = new ArrayList<>();
        for (String c : choices) {
            ex.add(SftFormat.pair(tok.specials(), q, tok.encode(c), model.config().context()));
        }
        Score[] s = score(model, ex, tokensPerBatch);
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < s.length; i++) {
            double v = s[i].tokens() == 0 ? Double.NEGATIVE_INFINITY : -s[i].nll() / s[i].tokens();
            if (v > bestScore) {
                bestScore = v;
                best = i;
            }
        }
        return best;
    }
}
