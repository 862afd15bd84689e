package org.versatune.pipeline.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A probe's {@code distribution.json} as later stages read it: the shares of one field (compose reads
 * {@code corrected}, the default estimator's) validated as strictly as a weights file, and the probe's own trust
 * verdict. {@code data-schemas/README.md} describes the whole file.
 */
public record ProbeDistributionFile(String source, double[] shares, boolean trusted, List<String> reasons) {
    public static final String TRUSTED = "trusted";

    /** True when a JSON object looks like a probe distribution (a {@code domains} object of objects). */
    public static boolean looksLikeOne(Map<String, Object> m) {
        return m.get("domains") instanceof Map<?, ?> ds && !ds.isEmpty() && ds.values().iterator().next() instanceof Map;
    }

    /**
     * Reads field {@code which} of every configured domain. Refuses a domain the configuration does not know, a
     * missing domain or field, a value that is not a finite non-negative number, and shares that do not sum to 1.
     */
    public static ProbeDistributionFile parse(Map<String, Object> m, Domains domains, String which, String source) {
        if (!(m.get("domains") instanceof Map<?, ?> ds)) {
            throw new IllegalArgumentException(source + ": not a probe distribution (no 'domains' object)");
        }
        for (Object name : ds.keySet()) {
            if (!domains.contains(String.valueOf(name))) {
                throw new IllegalArgumentException(source + ": domain '" + name + "' is not one of the configured domains "
                        + domains.names());
            }
        }
        double[] p = new double[domains.size()];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            String d = domains.name(i);
            Object entry = ds.get(d);
            if (entry == null) {
                throw new IllegalArgumentException(source + ": domain '" + d + "' is missing from 'domains'");
            }
            if (!(entry instanceof Map<?, ?> dm)) {
                throw new IllegalArgumentException(source + ": domains." + d + " is not an object");
            }
            Object v = dm.get(which);
            if (v == null) {
                throw new IllegalArgumentException(source + ": domains." + d + " has no '" + which + "' field");
            }
            if (!(v instanceof Number n)) {
                throw new IllegalArgumentException(source + ": domains." + d + "." + which + " is " + v + ", not a number");
            }
            double x = n.doubleValue();
            if (!Double.isFinite(x) || x < 0) {
                throw new IllegalArgumentException(source + ": domains." + d + "." + which + " is " + x
                        + "; shares must be finite and non-negative");
            }
            p[i] = x;
            sum += x;
        }
        if (Math.abs(sum - 1) > 1e-6) {
            throw new IllegalArgumentException(source + ": the '" + which + "' shares sum to " + sum + ", not 1");
        }
        List<String> reasons = new ArrayList<>();
        boolean trusted = false;
        if (m.get("trust") instanceof Map<?, ?> t) {
            trusted = TRUSTED.equals(t.get("verdict"));
            if (t.get("reasons") instanceof List<?> rs) {
                rs.forEach(r -> reasons.add(String.valueOf(r)));
            }
        } else {
            reasons.add("it carries no trust verdict (written by an older version of the probe)");
        }
        return new ProbeDistributionFile(source, p, trusted, reasons);
    }

    /** Stops with what is wrong and what to do, unless the estimate is trusted or the caller allows it anyway. */
    public double[] sharesForWeights(boolean allowUntrusted) {
        if (!trusted && !allowUntrusted) {
            throw new UntrustedException(source + ": the probe's estimate is not trustworthy (" + String.join("; ", reasons)
                    + "). Probe again with more samples (--samples), a calibration folder the base did not see "
                    + "(--calibration), or a better-trained base; to compose from it anyway pass --allow-untrusted-probe "
                    + "(versatune.compose.allow-untrusted-probe = true)");
        }
        return shares.clone();
    }

    /** A probe estimate used for weights although its own verdict says it cannot be trusted. */
    public static final class UntrustedException extends IllegalArgumentException {
        public UntrustedException(String message) {
            super(message);
        }
    }
}
