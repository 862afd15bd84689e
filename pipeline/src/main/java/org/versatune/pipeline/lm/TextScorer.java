package org.versatune.pipeline.lm;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * What a model makes of one text, in the terms any reference implementation can reproduce: the text's token ids
 * as Hugging Face's tokenizer gives them by default (an imported tokenizer's template adds its tokens, e.g.
 * LLaMA-2's {@code <s>}; ours and GPT-2's add none), the mean next-token NLL in nats over positions 1..n-1 (each token predicted from the ones
 * before it), and the five largest logits at the last position. Texts longer than the context are cut to it.
 */
public final class TextScorer {
    private TextScorer() {
    }

    public record Scored(int[] tokens, boolean truncated, double meanNll, int[] topIds, double[] topLogits) {
    }

    public static Scored score(TransformerLm model, BpeTokenizer tok, String text) {
        int[] all = tok.encode(text, true);
        int ctx = model.config().context();
        int[] ids = all.length > ctx ? Arrays.copyOf(all, ctx) : all;
        if (ids.length == 0) {
            throw new IllegalArgumentException("the text has no tokens to score");
        }
        TransformerLm.KvCache cache = model.newCache(1, ids.length);
        double nll = 0;
        double[] last = null;
        for (int pos = 0; pos < ids.length; pos++) {
            INDArray logits = model.step(cache, new int[]{ids[pos]}, pos);
            double[] l = logits.getRow(0).toDoubleVector();
            if (pos + 1 < ids.length) {
                nll -= logSoftmax(l, ids[pos + 1]);
            } else {
                last = l;
            }
        }
        double[] lastLogits = last;
        int[] top = IntStream.range(0, lastLogits.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -lastLogits[i]).thenComparingInt(i -> i))
                .limit(5).mapToInt(Integer::intValue).toArray();
        double[] topLogits = Arrays.stream(top).mapToDouble(i -> lastLogits[i]).toArray();
        return new Scored(ids, all.length > ctx, ids.length > 1 ? nll / (ids.length - 1) : Double.NaN, top, topLogits);
    }

    /** log softmax(l)[target], computed stably in double precision. */
    static double logSoftmax(double[] l, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : l) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (double x : l) {
            sum += Math.exp(x - max);
        }
        return l[target] - max - Math.log(sum);
    }
}
