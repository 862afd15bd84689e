package org.versatune.pipeline.train;

import com.typesafe.config.Config;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * The between-stage re-weighting of docs/method.md section 3.
 * <ul>
 * <li>learnable potential LP_i = max(0, (L_i - Lref_i) / L_i);</li>
 * <li>forgetting degree FD_i = max(0, (L_i - Lbest_i) / Lbest_i), Lbest the lowest earlier loss (base model included);</li>
 * <li>score s_i = LP_i + lambda * FD_i;</li>
 * <li>w_i <- w_i exp(eta s_i) / sum_j w_j exp(eta s_j);</li>
 * <li>stability (not in the paper's code): smoothing w <- (1 - c) w + c / k, an optional per-stage cap on the change
 * of each weight and an optional floor (both followed by renormalisation).</li>
 * </ul>
 * The {@code paper} preset reproduces the released update: s_i = (L_i - Lref_i) / L_i (no clipping, no forgetting
 * term), no smoothing, no floor or cap; its step size eta is the configured one (the paper's default is 1).
 */
public final class DomainWeightUpdater implements Serializable {
    public enum Preset { VERSATUNE, PAPER }

    /** Settings of the update. {@code maxChange} and {@code floor} of 0 mean off. */
    public record Params(Preset preset, double eta, double lambda, double smoothing, double floor, double maxChange)
            implements Serializable {
        public Params {
            if (!(eta >= 0) || !(lambda >= 0) || smoothing < 0 || smoothing > 1 || floor < 0 || maxChange < 0) {
                throw new IllegalArgumentException("invalid update settings: " + this);
            }
        }

        public static Params paper() {
            return new Params(Preset.PAPER, 1.0, 0.0, 0.0, 0.0, 0.0);
        }

        public static Params from(Config c) {
            Preset p = Preset.valueOf(c.getString("preset").toUpperCase(Locale.ROOT));
            return p == Preset.PAPER ? new Params(p, c.getDouble("eta"), 0.0, 0.0, 0.0, 0.0) : new Params(p, c.getDouble("eta"), c.getDouble("lambda"),
                    c.getDouble("smoothing"), c.getDouble("floor"), c.getDouble("max-change"));
        }
    }

    /** Everything one update computed, for the weight history. */
    public record Step(double[] before, double[] loss, double[] reference, double[] best, double[] potential,
                       double[] forgetting, double[] score, double[] after) implements Serializable {
    }

    private final Params p;

    public DomainWeightUpdater(Params p) {
        this.p = p;
    }

    public Params params() {
        return p;
    }

    public Step update(double[] weights, double[] loss, double[] reference, double[] bestPrevious) {
        return update(weights, loss, reference, bestPrevious, null);
    }

    /**
     * One update. {@code scoreWeights} (may be null) scales each domain's learnable potential (domain expansion
     * uses it to let forgetting drive the non-target domains).
     */
    public Step update(double[] weights, double[] loss, double[] reference, double[] bestPrevious, double[] potentialScale) {
        int k = weights.length;
        check(weights, "weights", k);
        check(loss, "losses", k);
        check(reference, "reference losses", k);
        check(bestPrevious, "best previous losses", k);
        double[] lp = new double[k];
        double[] fd = new double[k];
        double[] s = new double[k];
        for (int i = 0; i < k; i++) {
            if (!(loss[i] > 0) || !(bestPrevious[i] > 0)) {
                throw new IllegalArgumentException("losses must be positive: loss " + loss[i] + ", best " + bestPrevious[i] + " (domain " + i + ")");
            }
            if (p.preset() == Preset.PAPER) {
                lp[i] = (loss[i] - reference[i]) / loss[i];
                fd[i] = 0;
                s[i] = lp[i];
            } else {
                lp[i] = Math.max(0, (loss[i] - reference[i]) / loss[i]);
                fd[i] = Math.max(0, (loss[i] - bestPrevious[i]) / bestPrevious[i]);
                double scale = potentialScale == null ? 1 : potentialScale[i];
                s[i] = scale * lp[i] + p.lambda() * fd[i];
            }
        }
        double[] w = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            max = Math.max(max, p.eta() * s[i]);
        }
        double sum = 0;
        for (int i = 0; i < k; i++) {
            w[i] = weights[i] * Math.exp(p.eta() * s[i] - max);   // shifting by max changes nothing after normalising
            sum += w[i];
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("all weights are zero");
        }
        for (int i = 0; i < k; i++) {
            w[i] = (1 - p.smoothing()) * w[i] / sum + p.smoothing() / k;
        }
        if (p.maxChange() > 0) {
            for (int i = 0; i < k; i++) {
                w[i] = Math.max(weights[i] - p.maxChange(), Math.min(weights[i] + p.maxChange(), w[i]));
            }
            normalise(w);
        }
        if (p.floor() > 0) {
            applyFloor(w, p.floor());
        }
        return new Step(weights.clone(), loss.clone(), reference.clone(), bestPrevious.clone(), lp, fd, s, w);
    }

    private static void check(double[] v, String what, int k) {
        if (v == null || v.length != k) {
            throw new IllegalArgumentException(what + ": expected " + k + " values, got " + (v == null ? "none" : v.length));
        }
        for (double x : v) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException(what + " contain a non-finite value: " + Arrays.toString(v));
            }
        }
    }

    static void normalise(double[] w) {
        double s = Arrays.stream(w).sum();
        for (int i = 0; i < w.length; i++) {
            w[i] /= s;
        }
    }

    /** Raises weights below {@code floor} to it, taking the mass from the others in proportion to their excess. */
    static void applyFloor(double[] w, double floor) {
        int k = w.length;
        if (floor * k > 1) {
            throw new IllegalArgumentException("floor " + floor + " is more than 1/" + k);
        }
        normalise(w);
        double need = 0;
        double excess = 0;
        for (double x : w) {
            if (x < floor) {
                need += floor - x;
            } else {
                excess += x - floor;
            }
        }
        if (need == 0) {
            return;
        }
        for (int i = 0; i < k; i++) {
            w[i] = w[i] < floor ? floor : w[i] - (w[i] - floor) / excess * need;
        }
    }
}
