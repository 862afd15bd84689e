package org.versatune.pipeline.probe;

import org.versatune.pipeline.domain.DomainDistribution;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.util.Bootstrap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Estimators of the domain shares behind the probe's samples (quantification, as in QuaPy's taxonomy), from
 * what the classifier said of each sample (a label, {@code unlabeled} included, and a posterior per domain) and,
 * for the adjusted methods, from a calibration: the model's continuations of held-out text of known domains,
 * classified the same way.
 * <ul>
 *   <li>{@code raw}: classify and count among labelled samples (the paper's estimate).</li>
 *   <li>{@code acc}: adjusted classify and count, labels with unlabeled through the calibration matrix G
 *       (true domain x label): the p on the simplex minimising |G^T p - q|^2.</li>
 *   <li>{@code pacc}: its probabilistic version: mean posteriors instead of label shares, on both sides.</li>
 *   <li>{@code em}: prior re-estimation by expectation-maximisation on the posteriors (Saerens, Latinne and
 *       Decaestecker 2002), from the classifier's training priors; needs no calibration.</li>
 *   <li>{@code ml}: the maximum-likelihood mixture weights of the calibrated label distributions (EM with the
 *       rows of G, smoothed by half a count, as the known mixture components).</li>
 * </ul>
 * Intervals come from a seeded bootstrap that resamples the samples and, stratified by domain, the calibration
 * rows, so they include the calibration's own uncertainty.
 */
public final class Quantifiers {
    public enum Method {
        RAW, ACC, PACC, EM, ML;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean needsCalibration() {
            return this == ACC || this == PACC || this == ML;
        }

        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown probe estimator '" + s + "'; expected one of first-token, raw, acc, pacc, em, ml");
            }
        }
    }

    /** Classified texts: label per text (domain index, or k for unlabeled) and posterior per domain. */
    public record Labels(int[] label, double[][] posterior) {
        public int size() {
            return label.length;
        }

        /** Index of a classifier label: the domain's, or k for unlabeled. */
        static int index(Domains domains, String label) {
            return Domains.UNLABELED.equals(label) ? domains.size() : domains.indexOf(label);
        }

        /** The classifier's per-domain probabilities in configured order. */
        static double[] posterior(Domains domains, Map<String, Double> probabilities) {
            double[] p = new double[domains.size()];
            for (int i = 0; i < p.length; i++) {
                p[i] = probabilities.getOrDefault(domains.name(i), 0.0);
            }
            return p;
        }

        Labels pick(int[] idx) {
            int[] l = new int[idx.length];
            double[][] p = new double[idx.length][];
            for (int i = 0; i < idx.length; i++) {
                l[i] = label[idx[i]];
                p[i] = posterior[idx[i]];
            }
            return new Labels(l, p);
        }
    }

    /** The calibration: the true domain of each continuation and how it was classified. */
    public record Calibration(int[] truth, Labels labels) {
        int rows(int domain) {
            int n = 0;
            for (int t : truth) {
                n += t == domain ? 1 : 0;
            }
            return n;
        }
    }

    /** An estimate with its bootstrap interval (2.5% and 97.5% quantiles) and standard deviation per domain. */
    public record Estimate(double[] shares, double[] low, double[] high, double[] sd) {
        public double maxWidth() {
            double w = 0;
            for (int i = 0; i < low.length; i++) {
                w = Math.max(w, high[i] - low[i]);
            }
            return w;
        }

        /**
         * The sample size of perfectly labelled draws from a multinomial that would give the same total variance:
         * sum p(1-p) / sum var.
         */
        public double effectiveSampleSize() {
            double num = 0;
            double den = 0;
            for (int i = 0; i < shares.length; i++) {
                num += shares[i] * (1 - shares[i]);
                den += sd[i] * sd[i];
            }
            return den == 0 ? Double.POSITIVE_INFINITY : num / den;
        }
    }

    // both EMs stop when no share moves by more than the tolerance (or after the cap)
    static final int MAX_EM_ITERATIONS = 2000;
    static final double EM_TOLERANCE = 1e-9;

    private final int k;
    private final double[] priors;
    private final int lsIterations;

    /**
     * @param k            number of domains
     * @param priors       the classifier's training class shares (the EM starting point and the posteriors' prior)
     * @param lsIterations projected-gradient iterations of the least-squares methods
     */
    public Quantifiers(int k, double[] priors, int lsIterations) {
        this.k = k;
        this.priors = priors == null ? uniform(k) : priors.clone();
        this.lsIterations = lsIterations;
    }

    static double[] uniform(int k) {
        double[] p = new double[k];
        Arrays.fill(p, 1.0 / k);
        return p;
    }

    public double[] estimate(Method m, Labels s, Calibration cal) {
        if (m.needsCalibration() && cal == null) {
            throw new IllegalArgumentException("estimator '" + m.id() + "' needs a calibration");
        }
        return switch (m) {
            case RAW -> raw(s);
            case ACC -> DomainDistribution.calibrated(labelShares(s), labelRates(cal, 0), lsIterations);
            case PACC -> DomainDistribution.calibrated(meanPosterior(s.posterior()), posteriorRates(cal), lsIterations);
            case EM -> em(s);
            case ML -> ml(labelCounts(s), labelRates(cal, 0.5));
        };
    }

    /** Label shares among labelled texts; uniform when none is labelled (the verdict then says why). */
    double[] raw(Labels s) {
        long[] n = new long[k];
        long labelled = 0;
        for (int l : s.label()) {
            if (l < k) {
                n[l]++;
                labelled++;
            }
        }
        return labelled == 0 ? uniform(k) : DomainDistribution.shares(n);
    }

    double[] labelCounts(Labels s) {
        double[] c = new double[k + 1];
        for (int l : s.label()) {
            c[l]++;
        }
        return c;
    }

    double[] labelShares(Labels s) {
        double[] c = labelCounts(s);
        for (int j = 0; j < c.length; j++) {
            c[j] /= s.size();
        }
        return c;
    }

    static double[] meanPosterior(double[][] posterior) {
        double[] m = new double[posterior[0].length];
        for (double[] p : posterior) {
            for (int j = 0; j < m.length; j++) {
                m[j] += p[j];
            }
        }
        for (int j = 0; j < m.length; j++) {
            m[j] /= posterior.length;
        }
        return m;
    }

    /** G[i][j] = P(label j | true domain i), unlabeled last, each cell with {@code pseudo} added before normalising. */
    double[][] labelRates(Calibration cal, double pseudo) {
        double[][] g = new double[k][k + 1];
        double[] n = new double[k];
        for (int r = 0; r < cal.truth().length; r++) {
            g[cal.truth()[r]][cal.labels().label()[r]]++;
            n[cal.truth()[r]]++;
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j <= k; j++) {
                g[i][j] = (g[i][j] + pseudo) / (n[i] + pseudo * (k + 1));
            }
        }
        return g;
    }

    /** Mean posterior per true domain (k x k). */
    double[][] posteriorRates(Calibration cal) {
        double[][] g = new double[k][k];
        double[] n = new double[k];
        for (int r = 0; r < cal.truth().length; r++) {
            double[] p = cal.labels().posterior()[r];
            int t = cal.truth()[r];
            for (int j = 0; j < k; j++) {
                g[t][j] += p[j];
            }
            n[t]++;
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                g[i][j] /= n[i];
            }
        }
        return g;
    }

    /** Saerens-Latinne-Decaestecker: re-weight every posterior by p/priors, average, repeat. */
    double[] em(Labels s) {
        double[] p = priors.clone();
        double[] next = new double[k];
        double[] w = new double[k];
        for (int it = 0; it < MAX_EM_ITERATIONS; it++) {
            Arrays.fill(next, 0);
            for (double[] post : s.posterior()) {
                double z = 0;
                for (int i = 0; i < k; i++) {
                    w[i] = priors[i] > 0 ? p[i] / priors[i] * post[i] : 0;
                    z += w[i];
                }
                if (z > 0) {
                    for (int i = 0; i < k; i++) {
                        next[i] += w[i] / z;
                    }
                }
            }
            double change = 0;
            for (int i = 0; i < k; i++) {
                next[i] /= s.size();
                change = Math.max(change, Math.abs(next[i] - p[i]));
                p[i] = next[i];
            }
            if (change < EM_TOLERANCE) {
                break;
            }
        }
        return p;
    }

    /** Maximum-likelihood mixture weights of known label distributions g (rows) given label counts. */
    static double[] ml(double[] counts, double[][] g) {
        return mixtureWeights(counts, g, uniform(g.length));
    }

    /**
     * Maximum-likelihood mixture weights w of the rows of g for observed counts or shares c (max sum_j c_j log
     * (w^T g)_j), by EM from {@code from} until no weight moves by {@link #EM_TOLERANCE}.
     */
    static double[] mixtureWeights(double[] c, double[][] g, double[] from) {
        return mixtureFit(c, g, from).weights();
    }

    /** The mixture weights and how the fit ended: converged, or stopped at {@link #MAX_EM_ITERATIONS}. */
    record MixtureFit(double[] weights, int iterations, boolean converged) {
    }

    static MixtureFit mixtureFit(double[] c, double[][] g, double[] from) {
        int k = g.length;
        double[] w = from.clone();
        double[] next = new double[k];
        for (int it = 0; it < MAX_EM_ITERATIONS; it++) {
            Arrays.fill(next, 0);
            for (int j = 0; j < c.length; j++) {
                if (c[j] == 0) {
                    continue;
                }
                double z = 0;
                for (int i = 0; i < k; i++) {
                    z += w[i] * g[i][j];
                }
                for (int i = 0; i < k; i++) {
                    next[i] += c[j] * w[i] * g[i][j] / z;
                }
            }
            double total = Arrays.stream(next).sum();
            double change = 0;
            for (int i = 0; i < k; i++) {
                next[i] /= total;
                change = Math.max(change, Math.abs(next[i] - w[i]));
                w[i] = next[i];
            }
            if (change < EM_TOLERANCE) {
                return new MixtureFit(w, it + 1, true);
            }
        }
        return new MixtureFit(w, MAX_EM_ITERATIONS, false);
    }

    /**
     * Seeded bootstrap: each draw resamples the samples (when {@code samples}) and, within each true domain,
     * the calibration rows (when {@code calibration}), and estimates again.
     */
    public Estimate bootstrap(Method m, Labels s, Calibration cal, int draws, long seed, boolean samples, boolean calibration) {
        return bootstrap(m, s, cal, draws, seed, samples, calibration, UnaryOperator.identity());
    }

    /** The same with every estimate, the point's and each draw's, passed through {@code to} (e.g. unit to token shares). */
    public Estimate bootstrap(Method m, Labels s, Calibration cal, int draws, long seed, boolean samples, boolean calibration,
                              UnaryOperator<double[]> to) {
        double[] point = to.apply(estimate(m, s, cal));
        List<int[]> byDomain = new ArrayList<>();
        if (cal != null) {
            for (int i = 0; i < k; i++) {
                int[] rows = new int[cal.rows(i)];
                for (int r = 0, at = 0; r < cal.truth().length; r++) {
                    if (cal.truth()[r] == i) {
                        rows[at++] = r;
                    }
                }
                byDomain.add(rows);
            }
        }
        double[][] got = Bootstrap.run(draws, seed, k, rnd -> {
            Labels sd = samples ? s.pick(Bootstrap.resample(rnd, s.size())) : s;
            Calibration cd = cal;
            if (cal != null && calibration) {
                int[] idx = new int[cal.truth().length];
                int at = 0;
                for (int[] rows : byDomain) {
                    for (int r = 0; r < rows.length; r++) {
                        idx[at++] = rows[rnd.nextInt(rows.length)];
                    }
                }
                int[] truth = new int[idx.length];
                for (int r = 0; r < idx.length; r++) {
                    truth[r] = cal.truth()[idx[r]];
                }
                cd = new Calibration(truth, cal.labels().pick(idx));
            }
            return to.apply(estimate(m, sd, cd));
        });
        return summarise(point, got);
    }

    /** The point estimate with the 2.5% and 97.5% quantiles and the standard deviation of its draws (got[domain][draw], sorted). */
    static Estimate summarise(double[] point, double[][] got) {
        int k = point.length;
        double[] low = new double[k];
        double[] high = new double[k];
        double[] sdv = new double[k];
        for (int i = 0; i < k; i++) {
            sdv[i] = Math.sqrt(Bootstrap.variance(got[i]));
            low[i] = Bootstrap.quantile(got[i], 0.025);
            high[i] = Bootstrap.quantile(got[i], 0.975);
        }
        return new Estimate(point, low, high, sdv);
    }
}
