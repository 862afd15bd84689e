package org.versatune.pipeline.probe;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.versatune.pipeline.classify.ClassifierWeights;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.pretrain.DocumentWindows;
import org.versatune.pipeline.util.Bootstrap;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Beyond the paper: the domain shares read from what the model writes first. Pretraining cuts every document
 * into windows that each follow the begin token, so the model's next-token distribution after the begin token
 * alone is learnt as the mixture, over domains, of each domain's window-start distribution, weighted by the
 * domain's share of windows. That distribution is computed exactly (one forward step, no sampling, no classifier)
 * and the mixture weights are fitted to it by maximum likelihood (EM) against each domain's window-start
 * distribution measured on reference text of known domains, tokenised and windowed as pretraining does. Window
 * shares become token shares through each domain's mean window length. That is the {@code window-bos} layout; under
 * the packed layouts ({@code packed-eos}, {@code document-bos}: {@link DocumentWindows.Layout}) the model opens a
 * document after the end token (and the begin token), so the units are documents (f = 1) and their shares become
 * token shares through the mean document length (docs/method.md section 1).
 *
 * <p>A domain's window-start distribution: a window starts a document with probability f (documents / windows),
 * then its first token follows the domain's document openings S; otherwise it starts at an arbitrary position
 * and follows the domain's token frequencies U. U is smoothed by half a count; S, which few documents estimate,
 * is shrunk toward U with the weight of {@link #START_PRIOR} documents.
 *
 * <p>Intervals: a seeded bootstrap resamples the reference documents within each domain and the model's
 * distribution as {@code n} draws, where n is the sample size whose sampling noise would explain the fit's
 * residual (E[KL] = (V - 1) / 2n for an empirical distribution of n draws), so a model that the mixture explains
 * poorly gets wide intervals.
 */
public final class FirstTokenMixture {
    /** Weight, in documents, of the token frequencies in a domain's document-opening distribution. */
    static final double START_PRIOR = 10;
    /** Pseudo-count of every token in a domain's token frequencies. */
    static final double TOKEN_PRIOR = 0.5;

    /** A reference document as pretraining sees it: its id, domain index and tokens with the end token. */
    public record Document(String id, int domain, int[] tokens) implements Serializable {
    }

    /** The estimate: token shares with their bootstrap interval, and how well the mixture explains the model. */
    public record Result(Quantifiers.Estimate estimate, double[] windowShares, double kl, double effectiveDraws,
                         long[] documents, long[] windows, int draws, int fitIterations, boolean fitConverged) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(FirstTokenMixture.class);
    private final int k;
    private final int vocab;
    private final int context;
    private final DocumentWindows.Layout layout;

    /** For a base of this project's own layout (window-bos). */
    public FirstTokenMixture(int k, int vocab, int context) {
        this(k, vocab, context, DocumentWindows.Layout.WINDOW_BOS);
    }

    /**
     * What follows the prefix token depends on how the base saw its text: under window-bos, the opening of any window
     * (a mixture of windows, weighted by their counts); under the packed layouts, the opening of a document (a mixture
     * of documents). Token shares follow from the units' mean lengths either way.
     */
    public FirstTokenMixture(int k, int vocab, int context, DocumentWindows.Layout layout) {
        this.k = k;
        this.vocab = vocab;
        this.context = context;
        this.layout = layout;
    }

    /** The tokens after which a base of this layout starts a new unit: begin; end; end then begin. */
    static int[] prefix(DocumentWindows.Layout layout, int bos, int eos) {
        return switch (layout) {
            case WINDOW_BOS -> new int[]{bos};
            case PACKED_EOS -> new int[]{eos};
            case DOCUMENT_BOS -> new int[]{eos, bos};
        };
    }

    /** The model's exact next-token distribution after the begin token alone (a window-bos base). */
    public static double[] firstTokenDistribution(LmCheckpoint checkpoint) {
        return firstTokenDistribution(checkpoint, DocumentWindows.Layout.WINDOW_BOS);
    }

    /** The model's exact next-token distribution after its layout's prefix. */
    public static double[] firstTokenDistribution(LmCheckpoint checkpoint, DocumentWindows.Layout layout) {
        TransformerLm lm = checkpoint.model();
        var specials = checkpoint.tokenizer().specials();
        int[] prefix = prefix(layout, specials.bos(), specials.eos());
        var cache = lm.newCache(1, prefix.length);   // a model's whole context would be tens of GB at 8B
        INDArray logits = null;
        for (int i = 0; i < prefix.length; i++) {
            logits = lm.step(cache, new int[]{prefix[i]}, i);
        }
        double[] p = logits.getRow(0).toDoubleVector();
        ClassifierWeights.softmax(p);
        lm.releaseBuffers();
        return p;
    }

    /** Per-domain counts of a set of documents: openings, tokens, windows. */
    final class Counts {
        final double[][] start = new double[k][vocab];
        final double[][] tokens = new double[k][vocab];
        final long[] documents = new long[k];
        final long[] windows = new long[k];
        final long[] length = new long[k];

        void add(Document d) {
            int i = d.domain();
            int[] t = d.tokens();
            if (t.length == 0) {
                return;
            }
            start[i][t[0]]++;
            for (int id : t) {
                tokens[i][id]++;
            }
            documents[i]++;
            // the units the model starts after its prefix: windows (window-bos) or whole documents (packed layouts)
            windows[i] += layout == DocumentWindows.Layout.WINDOW_BOS ? DocumentWindows.count(t.length, context) : 1;
            // under document-bos each document carries its begin token in the stream as well
            length[i] += t.length + (layout == DocumentWindows.Layout.DOCUMENT_BOS ? 1 : 0);
        }

        /** Row i: the probability that a window of domain i starts with each token. */
        double[][] components() {
            double[][] g = new double[k][vocab];
            for (int i = 0; i < k; i++) {
                double n = length[i] + TOKEN_PRIOR * vocab;
                double f = windows[i] == 0 ? 0 : (double) documents[i] / windows[i];
                for (int v = 0; v < vocab; v++) {
                    double u = (tokens[i][v] + TOKEN_PRIOR) / n;
                    double s = (start[i][v] + START_PRIOR * u) / (documents[i] + START_PRIOR);
                    g[i][v] = f * s + (1 - f) * u;
                }
            }
            return g;
        }

        /** Mean tokens per window of each domain (window shares to token shares). */
        double[] windowLength() {
            double[] l = new double[k];
            for (int i = 0; i < k; i++) {
                l[i] = windows[i] == 0 ? context : (double) length[i] / windows[i];
            }
            return l;
        }
    }

    Counts count(List<Document> docs) {
        Counts c = new Counts();
        docs.forEach(c::add);
        return c;
    }

    /**
     * Maximum-likelihood mixture weights w of the rows of g for the distribution p (max sum_v p_v log (w^T g)_v), with
     * how the fit ended.
     */
    static Quantifiers.MixtureFit fit(double[] p, double[][] g) {
        return Quantifiers.mixtureFit(p, g, Quantifiers.uniform(g.length));
    }

    /**
     * The empirical distribution of n draws from p: independent Poisson counts (normal beyond a mean of 30),
     * normalised, which for large n is the multinomial's distribution without drawing n times.
     */
    static double[] resample(double[] p, double n, SplittableRandom rnd) {
        double[] c = new double[p.length];
        double z = 0;
        for (int v = 0; v < p.length; v++) {
            double mean = n * p[v];
            if (mean > 30) {
                c[v] = Math.max(0, mean + Math.sqrt(mean) * gaussian(rnd));
            } else {
                double limit = Math.exp(-mean);
                double prod = rnd.nextDouble();
                int x = 0;
                while (prod > limit) {
                    prod *= rnd.nextDouble();
                    x++;
                }
                c[v] = x;
            }
            z += c[v];
        }
        for (int v = 0; v < p.length; v++) {
            c[v] /= z;
        }
        return c;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** KL(p || w^T g) in nats. */
    static double kl(double[] p, double[] w, double[][] g) {
        double s = 0;
        for (int v = 0; v < p.length; v++) {
            if (p[v] > 0) {
                double m = 0;
                for (int i = 0; i < w.length; i++) {
                    m += w[i] * g[i][v];
                }
                s += p[v] * Math.log(p[v] / m);
            }
        }
        return Math.max(0, s);
    }

    static double[] tokenShares(double[] windowShares, double[] windowLength) {
        double[] t = new double[windowShares.length];
        double z = 0;
        for (int i = 0; i < t.length; i++) {
            t[i] = windowShares[i] * windowLength[i];
            z += t[i];
        }
        for (int i = 0; i < t.length; i++) {
            t[i] /= z;
        }
        return t;
    }

    /** Why the reference cannot support the estimate (a domain without a document), or null when it can. */
    public static String missingDomain(List<Document> reference, Domains domains) {
        boolean[] seen = new boolean[domains.size()];
        reference.forEach(d -> seen[d.domain()] = true);
        for (int i = 0; i < seen.length; i++) {
            if (!seen[i]) {
                return "the reference text holds no document of domain '" + domains.name(i) + "'";
            }
        }
        return null;
    }

    /** Mean tokens per unit the model starts after its prefix, per domain of the reference (packed layouts: per document). */
    public double[] unitLength(List<Document> docs) {
        return count(docs).windowLength();
    }

    /** Token shares of the mixture behind {@code p}, with a bootstrap interval of {@code draws} draws. */
    public Result estimate(double[] p, List<Document> docs, int draws, long seed) {
        if (p.length != vocab) {
            throw new IllegalArgumentException("first-token distribution has " + p.length + " entries, the vocabulary " + vocab);
        }
        Counts all = count(docs);
        for (int i = 0; i < k; i++) {
            if (all.documents[i] == 0) {
                throw new IllegalArgumentException("first-token estimate: no reference document of domain " + i);
            }
        }
        double[][] g = all.components();
        Quantifiers.MixtureFit end = fit(p, g);
        double[] w = end.weights();
        if (!end.converged()) {
            LOG.warn("first-token estimate: the mixture fit stopped at its iteration cap ({}) before converging; its shares "
                    + "are reported with fit_converged = false", end.iterations());
        }
        double[] shares = tokenShares(w, all.windowLength());
        double kl = kl(p, w, g);
        double n = Math.min(1e9, Math.max(100, (vocab - 1) / (2 * Math.max(kl, 1e-12))));
        List<List<Document>> byDomain = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            byDomain.add(new ArrayList<>());
        }
        docs.forEach(d -> byDomain.get(d.domain()).add(d));
        double[][] got = Bootstrap.run(draws, seed, k, rnd -> {
            Counts c = new Counts();
            for (List<Document> dom : byDomain) {
                for (int j = 0; j < dom.size(); j++) {
                    c.add(dom.get(rnd.nextInt(dom.size())));
                }
            }
            return tokenShares(Quantifiers.mixtureWeights(resample(p, n, rnd), c.components(), w), c.windowLength());
        });
        return new Result(Quantifiers.summarise(shares, got), w, kl, n, all.documents, all.windows, draws, end.iterations(),
                end.converged());
    }
}
