package org.versatune.pipeline.mixture;

import org.versatune.pipeline.domain.Domains;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Domain weights in the configured order: finite, non-negative, summing to one (within 1e-6). Parsed from
 * {@code law=0.1,medicine=0.2,...} or a map; domains left out of a partial specification get 0.
 */
public final class MixtureWeights implements Serializable {
    public static final double TOLERANCE = 1e-6;

    private final Domains domains;
    private final double[] w;

    private MixtureWeights(Domains domains, double[] w) {
        this.domains = domains;
        this.w = w;
    }

    /** Validates weights that must already sum to one. */
    public static MixtureWeights of(Domains domains, double[] w) {
        if (w.length != domains.size()) {
            throw new IllegalArgumentException("expected " + domains.size() + " weights (" + domains + "), got " + w.length);
        }
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            if (!Double.isFinite(w[i])) {
                throw new IllegalArgumentException("weight of '" + domains.name(i) + "' is " + w[i] + "; weights must be finite numbers");
            }
            if (w[i] < 0) {
                throw new IllegalArgumentException("weight of '" + domains.name(i) + "' is negative (" + w[i] + ")");
            }
            sum += w[i];
        }
        if (Math.abs(sum - 1.0) > TOLERANCE) {
            throw new IllegalArgumentException("weights sum to " + sum + ", not 1: " + Arrays.toString(w)
                    + " (normalise them, or use MixtureWeights.normalised)");
        }
        return new MixtureWeights(domains, w.clone());
    }

    /** Scales non-negative weights to sum to one. */
    public static MixtureWeights normalised(Domains domains, double[] w) {
        double sum = 0;
        for (double v : w) {
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("weights must be finite and non-negative: " + Arrays.toString(w));
            }
            sum += v;
        }
        if (sum <= 0) {
            throw new IllegalArgumentException("weights are all zero");
        }
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] / sum;
        }
        return new MixtureWeights(domains, out);
    }

    public static MixtureWeights uniform(Domains domains) {
        double[] w = new double[domains.size()];
        Arrays.fill(w, 1.0 / w.length);
        return new MixtureWeights(domains, w);
    }

    /** Parses {@code name=weight,...}; unnamed domains get 0; the result must sum to one. */
    public static MixtureWeights parse(Domains domains, String spec) {
        double[] w = new double[domains.size()];
        boolean[] seen = new boolean[w.length];
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("mixture entry '" + p + "' is not domain=weight");
            }
            String name = p.substring(0, eq).trim();
            int i = domains.indexOf(name);
            if (seen[i]) {
                throw new IllegalArgumentException("domain '" + name + "' appears twice in the mixture");
            }
            seen[i] = true;
            try {
                w[i] = Double.parseDouble(p.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of '" + name + "' is not a number: " + p.substring(eq + 1));
            }
        }
        return of(domains, w);
    }

    /** From a JSON-like map (missing domains: 0). */
    public static MixtureWeights fromMap(Domains domains, Map<String, ?> m) {
        double[] w = new double[domains.size()];
        for (Map.Entry<String, ?> e : m.entrySet()) {
            int i = domains.indexOf(e.getKey());
            if (!(e.getValue() instanceof Number n)) {
                throw new IllegalArgumentException("weight of '" + e.getKey() + "' is not a number: " + e.getValue());
            }
            w[i] = n.doubleValue();
        }
        return of(domains, w);
    }

    public Domains domains() {
        return domains;
    }

    public double get(int i) {
        return w[i];
    }

    public double get(String domain) {
        return w[domains.indexOf(domain)];
    }

    public double[] toArray() {
        return w.clone();
    }

    public Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < w.length; i++) {
            m.put(domains.name(i), w[i]);
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(domains.name(i)).append('=').append(String.format(Locale.ROOT, "%.4f", w[i]));
        }
        return sb.toString();
    }
}
