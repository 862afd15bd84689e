package org.versatune.pipeline.lm;

import com.typesafe.config.Config;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.versatune.pipeline.util.Seeds;

import java.io.Serializable;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Batched sampling with a KV cache: all rows advance one position per step. Each row has its own random
 * generator seeded from (seed, row), so a row's text depends only on the model, its prompt and those seeds.
 * Settings follow the usual meaning: temperature (0 = greedy), top-k (0 = off), top-p (1 = off) and a
 * repetition penalty on every token already in the row (logits above 0 divided by it, below 0 multiplied).
 */
public final class Generator {
    /**
     * Sampling settings. {@code focusAfter} > 0 switches to {@code focusTemperature} after that many generated
     * tokens: the opening tokens (where a text's domain is decided) keep the probe's temperature while small
     * models, which drift across topics at temperature 1, stay on the topic they began with.
     */
    public record Sampling(int maxTokens, double temperature, double topP, int topK, double repetitionPenalty,
                           int focusAfter, double focusTemperature) implements Serializable {
        public Sampling {
            if (maxTokens < 1 || temperature < 0 || topP <= 0 || topP > 1 || topK < 0 || repetitionPenalty <= 0
                    || focusAfter < 0 || focusTemperature < 0) {
                throw new IllegalArgumentException("invalid sampling settings: " + this);
            }
        }

        public Sampling(int maxTokens, double temperature, double topP, int topK, double repetitionPenalty) {
            this(maxTokens, temperature, topP, topK, repetitionPenalty, 0, temperature);
        }

        public static Sampling from(Config c) {
            return new Sampling(c.getInt("max-tokens"), c.getDouble("temperature"), c.getDouble("top-p"),
                    c.getInt("top-k"), c.getDouble("repetition-penalty"), c.getInt("focus-after-tokens"),
                    c.getDouble("focus-temperature"));
        }

        /** The temperature for the {@code generated}-th generated token. */
        double temperatureAt(int generated) {
            return focusAfter > 0 && generated >= focusAfter ? focusTemperature : temperature;
        }
    }

    private Generator() {
    }

    /**
     * Generates one continuation per prompt (a prompt of length 0 or null starts from the begin token alone).
     * Returns the generated tokens only (without the prompt), stopping at the end token.
     */
    public static List<int[]> generate(TransformerLm model, BpeTokenizer.Specials sp, int[][] prompts, Sampling s, long seed) {
        return generate(model, new int[]{sp.bos()}, sp, prompts, s, seed);
    }

    /**
     * The same after {@code start} instead of the begin token: what opens a unit in the model's pretraining layout
     * (the end token for a packed base, for example), so that it writes as it learnt to after that.
     */
    public static List<int[]> generate(TransformerLm model, int[] start, BpeTokenizer.Specials sp, int[][] prompts, Sampling s,
                                       long seed) {
        int rows = prompts.length;
        int ctx = model.config().context();
        int vocab = model.config().vocabSize();
        int[][] seqs = new int[rows][];
        int longestPrompt = 1;
        for (int r = 0; r < rows; r++) {
            int[] p = prompts[r] == null ? new int[0] : prompts[r];
            int[] withBos = new int[p.length + start.length];
            System.arraycopy(start, 0, withBos, 0, start.length);
            System.arraycopy(p, 0, withBos, start.length, p.length);
            if (withBos.length >= ctx) {
                withBos = Arrays.copyOfRange(withBos, withBos.length - ctx + 1, withBos.length);
            }
            seqs[r] = withBos;
            longestPrompt = Math.max(longestPrompt, withBos.length);
        }
        int total = Math.min(ctx, longestPrompt + s.maxTokens());
        Random[] rnd = new Random[rows];
        List<List<Integer>> out = new ArrayList<>();
        boolean[][] seen = new boolean[rows][vocab];
        boolean[] done = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            rnd[r] = new Random(Seeds.derive(seed, "row", r));
            out.add(new ArrayList<>());
            for (int t : seqs[r]) {
                seen[r][t] = true;
            }
        }
        TransformerLm.KvCache cache = model.newCache(rows, total);
        int[] cur = new int[rows];
        for (int r = 0; r < rows; r++) {
            cur[r] = seqs[r][0];
        }
        double[] logits = new double[vocab];
        float[] tmp = new float[vocab];
        for (int pos = 0; pos < total - 1; pos++) {
            INDArray l = model.step(cache, cur, pos);
            boolean any = false;
            for (int r = 0; r < rows; r++) {
                int next;
                if (pos + 1 < seqs[r].length) {
                    next = seqs[r][pos + 1];             // still inside the prompt
                } else if (done[r] || out.get(r).size() >= s.maxTokens()) {
                    done[r] = true;
                    next = sp.pad();
                } else {
                    row(l, r, logits, tmp);
                    next = sample(logits, seen[r], sp, s, s.temperatureAt(out.get(r).size()), rnd[r]);
                    if (next == sp.eos()) {
                        done[r] = true;
                    } else {
                        out.get(r).add(next);
                        seen[r][next] = true;
                    }
                }
                cur[r] = next;
                any |= !done[r];
            }
            if (!any) {
                break;
            }
        }
        List<int[]> result = new ArrayList<>(rows);
        for (List<Integer> o : out) {
            result.add(o.stream().mapToInt(Integer::intValue).toArray());
        }
        return result;
    }

    private static void row(INDArray l, int r, double[] dst, float[] tmp) {
        int v = dst.length;
        if (TransformerLm.HOST_KERNELS && l.dataType() == DataType.FLOAT && l.elementWiseStride() == 1 && l.ordering() == 'c') {
            FloatBuffer fb = l.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            fb.get((int) l.offset() + r * v, tmp, 0, v);
            for (int i = 0; i < v; i++) {
                dst[i] = tmp[i];
            }
        } else {
            double[] d = l.getRow(r).toDoubleVector();
            System.arraycopy(d, 0, dst, 0, v);
        }
    }

    /** Samples a token id from raw logits (modified in place). Special tokens other than the end are never sampled. */
    static int sample(double[] logits, boolean[] seen, BpeTokenizer.Specials sp, Sampling s, Random rnd) {
        return sample(logits, seen, sp, s, s.temperature(), rnd);
    }

    static int sample(double[] logits, boolean[] seen, BpeTokenizer.Specials sp, Sampling s, double temperature, Random rnd) {
        int v = logits.length;
        for (int special : new int[]{sp.pad(), sp.bos(), sp.sep()}) {
            if (special != sp.eos()) {      // an imported tokenizer may use its end token for every role
                logits[special] = Double.NEGATIVE_INFINITY;
            }
        }
        if (s.repetitionPenalty() != 1.0) {
            for (int i = 0; i < v; i++) {
                if (seen[i] && Double.isFinite(logits[i])) {
                    logits[i] = logits[i] > 0 ? logits[i] / s.repetitionPenalty() : logits[i] * s.repetitionPenalty();
                }
            }
        }
        if (temperature == 0) {
            int best = 0;
            for (int i = 1; i < v; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double x : logits) {
            max = Math.max(max, x);
        }
        if (s.topK() > 0 && s.topK() < v) {
            double[] sorted = logits.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - s.topK()];
            for (int i = 0; i < v; i++) {
                if (logits[i] < kth) {
                    logits[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double sum = 0;
        for (int i = 0; i < v; i++) {
            double p = Double.isFinite(logits[i]) ? Math.exp((logits[i] - max) / temperature) : 0;
            logits[i] = p;
            sum += p;
        }
        if (s.topP() < 1.0) {
            Integer[] idx = new Integer[v];
            for (int i = 0; i < v; i++) {
                idx[i] = i;
            }
            double[] p = logits;
            Arrays.sort(idx, (a, b) -> a.equals(b) ? 0 : p[b] != p[a] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            double cum = 0;
            double keep = 0;
            boolean cut = false;
            for (int i : idx) {
                if (cut) {
                    p[i] = 0;
                    continue;
                }
                cum += p[i] / sum;
                keep += p[i];
                if (cum >= s.topP()) {
                    cut = true;
                }
            }
            sum = keep;
        }
        double u = rnd.nextDouble() * sum;
        double acc = 0;
        int last = sp.eos();
        for (int i = 0; i < v; i++) {
            if (logits[i] > 0) {
                acc += logits[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last;
    }
}
