package org.versatune.pipeline.mixture;

import org.versatune.pipeline.domain.Domains;

import java.util.Arrays;
import java.util.Locale;

/**
 * The first mixture's weights (docs/method.md sections 2 and 4): {@code versatune} (w = p), {@code uniform} (1/k),
 * {@code proportional} (to pool sizes), {@code inverse} (to 1 - p_i), {@code custom}, and for domain expansion
 * {@code specific} (100% target), {@code uniform-rest} (target alpha, the rest uniform) and
 * {@code versatune-expand} (target alpha, the rest in proportion to p).
 */
public enum MixtureStrategy {
    VERSATUNE, UNIFORM, PROPORTIONAL, INVERSE, CUSTOM, SPECIFIC, UNIFORM_REST, VERSATUNE_EXPAND;

    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static MixtureStrategy parse(String s) {
        for (MixtureStrategy m : values()) {
            if (m.key().equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + s + "'; expected one of "
                + Arrays.stream(values()).map(MixtureStrategy::key).toList());
    }

    public boolean needsDistribution() {
        return this == VERSATUNE || this == INVERSE || this == VERSATUNE_EXPAND;
    }

    public boolean isExpansion() {
        return this == SPECIFIC || this == UNIFORM_REST || this == VERSATUNE_EXPAND;
    }

    /** Inputs a strategy may need (null when unused). */
    public record Inputs(double[] distribution, long[] poolSizes, MixtureWeights custom, String target, double alpha) {
    }

    public MixtureWeights weights(Domains domains, Inputs in) {
        int k = domains.size();
        double[] w = new double[k];
        switch (this) {
            case UNIFORM -> Arrays.fill(w, 1.0 / k);
            case VERSATUNE -> w = require(in.distribution(), "distribution").clone();
            case INVERSE -> {
                double[] p = require(in.distribution(), "distribution");
                for (int i = 0; i < k; i++) {
                    w[i] = 1 - p[i];
                }
            }
            case PROPORTIONAL -> {
                long[] n = require(in.poolSizes(), "pool sizes");
                for (int i = 0; i < k; i++) {
                    w[i] = n[i];
                }
            }
            case CUSTOM -> {
                if (in.custom() == null) {
                    throw new IllegalArgumentException("strategy custom needs weights (--custom law=0.2,...)");
                }
                w = in.custom().toArray();
            }
            case SPECIFIC, UNIFORM_REST, VERSATUNE_EXPAND -> {
                if (in.target() == null) {
                    throw new IllegalArgumentException("strategy " + key() + " needs a target domain (--target)");
                }
                int t = domains.indexOf(in.target());
                double alpha = this == SPECIFIC ? 1.0 : in.alpha();
                if (!(alpha > 0 && alpha <= 1)) {
                    throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
                }
                double[] rest = new double[k];
                if (this == VERSATUNE_EXPAND) {
                    double[] p = require(in.distribution(), "distribution");
                    for (int i = 0; i < k; i++) {
                        rest[i] = i == t ? 0 : p[i];
                    }
                } else {
                    for (int i = 0; i < k; i++) {
                        rest[i] = i == t ? 0 : 1;
                    }
                }
                double sum = Arrays.stream(rest).sum();
                for (int i = 0; i < k; i++) {
                    w[i] = i == t ? alpha : sum == 0 ? (1 - alpha) / (k - 1) : (1 - alpha) * rest[i] / sum;
                }
            }
            default -> throw new IllegalStateException();
        }
        return MixtureWeights.normalised(domains, w);
    }

    private <T> T require(T v, String what) {
        if (v == null) {
            throw new IllegalArgumentException("strategy " + key() + " needs a " + what
                    + (what.equals("distribution") ? " (a probe's distribution.json: --distribution FILE)" : ""));
        }
        return v;
    }
}
