package org.versatune.pipeline.domain;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.distribution.GammaDistribution;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.apache.commons.math3.random.Well19937c;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * A distribution over domains estimated from counts (docs/method.md section 1): shares, 95% intervals from the
 * Dirichlet posterior (Jeffreys prior, alpha = 1/2), the total-variation distance, and the correction for
 * classifier errors by adjusted classify-and-count (solve C^T p = p_observed, clip at 0, renormalise).
 */
public final class DomainDistribution {
    public static final double PRIOR = 0.5;

    private DomainDistribution() {
    }

    public static double[] shares(long[] counts) {
        long total = Arrays.stream(counts).sum();
        double[] p = new double[counts.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = total == 0 ? 0 : (double) counts[i] / total;
        }
        return p;
    }

    /** Equal-tailed credible interval of each share: Beta(n_i + a, N - n_i + (k - 1) a) marginals. */
    public static double[][] dirichletInterval(long[] counts, double level) {
        long total = Arrays.stream(counts).sum();
        int k = counts.length;
        double[][] out = new double[k][2];
        double tail = (1 - level) / 2;
        for (int i = 0; i < k; i++) {
            BetaDistribution b = new BetaDistribution(null, counts[i] + PRIOR, total - counts[i] + (k - 1) * PRIOR);
            out[i][0] = b.inverseCumulativeProbability(tail);
            out[i][1] = b.inverseCumulativeProbability(1 - tail);
        }
        return out;
    }

    /** The values scaled to sum to 1 (all zeros stay zeros). */
    public static double[] normalise(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        double[] out = v.clone();
        if (s > 0) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= s;
            }
        }
        return out;
    }

    /** Total-variation distance 0.5 * sum |p_i - q_i|. */
    public static double totalVariation(double[] p, double[] q) {
        if (p.length != q.length) {
            throw new IllegalArgumentException("distributions have different lengths");
        }
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += Math.abs(p[i] - q[i]);
        }
        return 0.5 * s;
    }

    /**
     * Adjusted classify-and-count: {@code confusion[i][j]} = P(predicted j | true i) (rows sum to 1). Solves
     * C^T p = observed in the least-squares sense (pseudo-inverse, so a singular C still gives an answer),
     * clips negative shares to 0 and renormalises.
     */
    public static double[] correct(double[] observed, double[][] confusion) {
        int k = observed.length;
        if (confusion.length != k) {
            throw new IllegalArgumentException("confusion matrix is " + confusion.length + "x?, expected " + k + "x" + k);
        }
        RealMatrix ct = new Array2DRowRealMatrix(k, k);
        for (int i = 0; i < k; i++) {
            if (confusion[i].length != k) {
                throw new IllegalArgumentException("confusion matrix row " + i + " has " + confusion[i].length + " entries");
            }
            for (int j = 0; j < k; j++) {
                ct.setEntry(j, i, confusion[i][j]);
            }
        }
        double[] p = new SingularValueDecomposition(ct).getSolver().solve(new ArrayRealVector(observed)).toArray();
        double sum = 0;
        for (int i = 0; i < k; i++) {
            p[i] = Math.max(0, p[i]);
            sum += p[i];
        }
        if (sum <= 0) {
            return observed.clone();
        }
        for (int i = 0; i < k; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Row-normalised confusion from counts (a row without data becomes the identity row). */
    public static double[][] rates(long[][] confusion) {
        int k = confusion.length;
        double[][] r = new double[k][k];
        for (int i = 0; i < k; i++) {
            long s = Arrays.stream(confusion[i]).sum();
            for (int j = 0; j < k; j++) {
                r[i][j] = s == 0 ? (i == j ? 1 : 0) : (double) confusion[i][j] / s;
            }
        }
        return r;
    }

    /**
     * 95%-style interval of the corrected shares: draws from the Dirichlet posterior of the observed shares,
     * corrects each draw, and takes the equal-tailed quantiles. Seeded.
     */
    public static double[][] correctedInterval(long[] counts, double[][] confusion, double level, int draws, long seed) {
        return interval(counts, p -> correct(p, confusion), level, draws, seed);
    }

    /**
     * Shares from counts of the k domains plus a last "unlabeled" count, through a generation-aware confusion matrix
     * {@code g} (k rows: the true domain of a generated text; k + 1 columns: the label it gets, unlabeled last):
     * the p on the simplex that minimises |g^T p - q|^2, q the observed label shares. Projected gradient descent
     * with step 1/L (L bounds the gradient's Lipschitz constant), from the uniform start: deterministic.
     */
    public static double[] calibrated(double[] q, double[][] g, int iterations) {
        int k = g.length;
        double frob = 0;
        for (double[] row : g) {
            for (double v : row) {
                frob += v * v;
            }
        }
        double step = 1 / (2 * Math.max(frob, 1e-12));
        double[] p = new double[k];
        Arrays.fill(p, 1.0 / k);
        double[] resid = new double[q.length];
        for (int it = 0; it < iterations; it++) {
            for (int j = 0; j < q.length; j++) {
                double v = -q[j];
                for (int i = 0; i < k; i++) {
                    v += g[i][j] * p[i];
                }
                resid[j] = v;
            }
            for (int i = 0; i < k; i++) {
                double grad = 0;
                for (int j = 0; j < q.length; j++) {
                    grad += g[i][j] * resid[j];
                }
                p[i] -= step * 2 * grad;
            }
            p = projectToSimplex(p);
        }
        return p;
    }

    /** Euclidean projection onto the probability simplex (sort-based, exact). */
    static double[] projectToSimplex(double[] v) {
        double[] u = v.clone();
        Arrays.sort(u);
        double cum = 0;
        double theta = 0;
        for (int j = u.length - 1, n = 1; j >= 0; j--, n++) {
            cum += u[j];
            double t = (cum - 1) / n;
            if (u[j] - t > 0) {
                theta = t;
            }
        }
        double[] p = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            p[i] = Math.max(0, v[i] - theta);
        }
        return p;
    }

    /** Equal-tailed interval of an estimate of the shares: Dirichlet (Jeffreys) draws of the counts pushed through it. */
    public static double[][] interval(long[] counts, UnaryOperator<double[]> estimate, double level,
                                      int draws, long seed) {
        int k = counts.length;
        Well19937c rng = new Well19937c(seed);
        GammaDistribution[] g = new GammaDistribution[k];
        for (int i = 0; i < k; i++) {
            g[i] = new GammaDistribution(rng, counts[i] + PRIOR, 1.0);
        }
        double[][] samples = null;   // sized by the estimate's first result (k shares from k or k + 1 counts)
        double[] p = new double[k];
        for (int d = 0; d < draws; d++) {
            double sum = 0;
            for (int i = 0; i < k; i++) {
                p[i] = g[i].sample();
                sum += p[i];
            }
            for (int i = 0; i < k; i++) {
                p[i] /= sum;
            }
            double[] c = estimate.apply(p.clone());
            if (samples == null) {
                samples = new double[c.length][draws];
            }
            for (int i = 0; i < c.length; i++) {
                samples[i][d] = c[i];
            }
        }
        double[][] out = new double[samples.length][2];
        double tail = (1 - level) / 2;
        for (int i = 0; i < samples.length; i++) {
            Arrays.sort(samples[i]);
            out[i][0] = samples[i][(int) Math.floor(tail * (draws - 1))];
            out[i][1] = samples[i][(int) Math.ceil((1 - tail) * (draws - 1))];
        }
        return out;
    }
}
