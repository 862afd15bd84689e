package org.versatune.pipeline.probe;

import com.typesafe.config.Config;
import org.versatune.pipeline.domain.DomainDistribution;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.domain.ProbeDistributionFile;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The probe's {@code distribution.json}: every estimator's shares with bootstrap intervals, the configured default
 * written as each domain's {@code corrected} share, the calibration used, and a verdict on whether the estimate
 * can be trusted, with its reasons.
 */
public final class ProbeDistribution {
    /** Bootstrap draws of the estimators other than the default (they are reported, not used). */
    static final int OTHER_DRAWS = 200;

    private ProbeDistribution() {
    }

    /**
     * @param samples    the probe's samples as the classifier saw them
     * @param cal        the calibration, or null
     * @param confusion  the classifier's validation confusion rates (rows: true domain), or null
     * @param priors     the classifier's training class shares, or null (uniform)
     */
    public static Map<String, Object> build(Domains domains, Quantifiers.Labels samples, ProbeCalibration.Result cal,
                                            double[][] confusion, double[] priors, Config probe, long seed) {
        int k = domains.size();
        Quantifiers q = new Quantifiers(k, priors, probe.getInt("calibration.iterations"));
        Quantifiers.Calibration rows = cal == null ? null : cal.rows();
        Quantifiers.Method configured = Quantifiers.Method.parse(probe.getString("estimator"));
        Quantifiers.Method chosen = configured.needsCalibration() && cal == null ? Quantifiers.Method.RAW : configured;
        int draws = probe.getInt("interval-draws");

        long[] counts = new long[k];
        long unlabeled = 0;
        for (int l : samples.label()) {
            if (l < k) {
                counts[l]++;
            } else {
                unlabeled++;
            }
        }
        double[] raw = DomainDistribution.shares(counts);
        double[][] rawCi = DomainDistribution.dirichletInterval(counts, 0.95);

        Map<String, Object> estimates = new LinkedHashMap<>();
        Quantifiers.Estimate best = null;
        for (Quantifiers.Method m : Quantifiers.Method.values()) {
            if (m.needsCalibration() && cal == null) {
                continue;
            }
            Quantifiers.Estimate e = q.bootstrap(m, samples, rows, m == chosen ? draws : Math.min(draws, OTHER_DRAWS),
                    Seeds.derive(seed, "bootstrap", m.id()), true, true);
            if (m == chosen) {
                best = e;
            }
            estimates.put(m.id(), estimateJson(domains, e));
        }
        if (confusion != null) {
            estimates.put("confusion", Map.of("shares", domains.toMap(DomainDistribution.correct(raw, confusion))));
        }

        Map<String, Object> per = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("raw", raw[i]);
            d.put("corrected", best.shares()[i]);
            d.put("low", rawCi[i][0]);
            d.put("high", rawCi[i][1]);
            d.put("corrected_low", best.low()[i]);
            d.put("corrected_high", best.high()[i]);
            d.put("count", counts[i]);
            per.put(domains.name(i), d);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("domains", per);
        out.put("samples", samples.size());
        out.put("labeled", samples.size() - unlabeled);
        out.put("unlabeled", unlabeled);
        out.put("estimator", chosen.id());
        out.put("interval", "raw: 95% equal-tailed Dirichlet posterior (Jeffreys prior); corrected and estimates: 95% "
                + "bootstrap quantiles, resampling the samples and, per domain, the calibration continuations");
        out.put("estimates", estimates);
        if (cal != null) {
            Map<String, Object> c = cal.toJson(domains);
            // how much of the interval is the calibration's: the default estimate with the samples held fixed
            Quantifiers.Estimate spread = q.bootstrap(chosen, samples, rows, Math.max(2, draws / 2),
                    Seeds.derive(seed, "calibration-spread"), false, true);
            c.put("spread_sd", domains.toMap(spread.sd()));
            out.put("calibration", c);
        }
        out.put("trust", trust(samples.size(), samples.size() - unlabeled, best, chosen, configured, cal != null, domains, probe));
        return out;
    }

    static Map<String, Object> estimateJson(Domains domains, Quantifiers.Estimate e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shares", domains.toMap(e.shares()));
        m.put("low", domains.toMap(e.low()));
        m.put("high", domains.toMap(e.high()));
        m.put("sd", domains.toMap(e.sd()));
        return m;
    }

    /** The verdict and its reasons; the thresholds are versatune.probe.trust. */
    static Map<String, Object> trust(long samples, long labelled, Quantifiers.Estimate e, Quantifiers.Method chosen,
                                     Quantifiers.Method configured, boolean calibrated, Domains domains, Config probe) {
        double minLabelled = probe.getDouble("trust.min-labelled-share");
        double maxWidth = probe.getDouble("trust.max-interval-width");
        double share = samples == 0 ? 0 : (double) labelled / samples;
        List<String> reasons = new ArrayList<>();
        if (share < minLabelled) {
            reasons.add(String.format("%d of %d samples labelled (%.0f%%, under %.0f%%)", labelled, samples, 100 * share,
                    100 * minLabelled));
        }
        int widest = 0;
        for (int i = 1; i < e.low().length; i++) {
            if (e.high()[i] - e.low()[i] > e.high()[widest] - e.low()[widest]) {
                widest = i;
            }
        }
        if (e.maxWidth() > maxWidth) {
            reasons.add(String.format("the 95%% interval of %s is %.2f wide (over %.2f)", domains.name(widest), e.maxWidth(), maxWidth));
        }
        if (chosen != configured) {
            reasons.add("no calibration, so the " + configured.id() + " estimator could not run and the shares are the raw "
                    + "label shares, which lean toward the domains whose text the classifier recognises");
        }
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("verdict", reasons.isEmpty() ? ProbeDistributionFile.TRUSTED : "untrusted");
        t.put("reasons", reasons);
        t.put("labelled_share", share);
        double ess = e.effectiveSampleSize();
        t.put("effective_sample_size", Double.isFinite(ess) ? Math.round(ess) : null);
        t.put("max_interval_width", e.maxWidth());
        t.put("calibration", calibrated);
        t.put("min_labelled_share", minLabelled);
        t.put("max_interval_width_allowed", maxWidth);
        return t;
    }
}
