package org.versatune.pipeline.probe;

import com.typesafe.config.Config;
import org.versatune.pipeline.domain.DomainDistribution;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.domain.ProbeDistributionFile;
import org.versatune.pipeline.util.Seeds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The probe's {@code distribution.json}: every estimator's shares with bootstrap intervals, the configured default
 * written as each domain's {@code corrected} share, the calibration used, and a verdict on whether the estimate
 * can be trusted, with its reasons.
 */
public final class ProbeDistribution {
    /** Bootstrap draws of the estimators from samples other than the default (reported, not used; each says its draws). */
    static final int OTHER_DRAWS = 200;
    /** The estimator that reads the model's first-token distribution ({@link FirstTokenMixture}). */
    public static final String FIRST_TOKEN = "first-token";

    private ProbeDistribution() {
    }

    /**
     * @param samples    the probe's samples as the classifier saw them
     * @param cal        the calibration, or null
     * @param confusion  the classifier's validation confusion rates (rows: true domain), or null
     * @param priors     the classifier's training class shares, or null (uniform)
     */
    public static Map<String, Object> build(Domains domains, Quantifiers.Labels samples, ProbeCalibration.Result cal,
                                            FirstTokenMixture.Result firstToken, double[][] confusion, double[] priors,
                                            Config probe, long seed) {
        int k = domains.size();
        Quantifiers q = new Quantifiers(k, priors, probe.getInt("calibration.iterations"));
        Quantifiers.Calibration rows = cal == null ? null : cal.rows();
        String configured = probe.getString("estimator").trim().toLowerCase(Locale.ROOT);
        boolean useFirstToken = configured.equals(FIRST_TOKEN) && firstToken != null;
        // without what the configured estimator needs: pacc when calibrated, else raw (estimator_fallback says why)
        Quantifiers.Method chosen = configured.equals(FIRST_TOKEN) ? Quantifiers.Method.PACC : Quantifiers.Method.parse(configured);
        if (chosen.needsCalibration() && cal == null) {
            chosen = Quantifiers.Method.RAW;
        }
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
            boolean isDefault = m == chosen && !useFirstToken;
            int used = isDefault ? draws : Math.min(draws, OTHER_DRAWS);
            Quantifiers.Estimate e = q.bootstrap(m, samples, rows, used, Seeds.derive(seed, "bootstrap", m.id()), true, true);
            if (isDefault) {
                best = e;
            }
            Map<String, Object> json = estimateJson(domains, e);
            json.put("interval_draws", used);
            estimates.put(m.id(), json);
        }
        if (firstToken != null) {
            Map<String, Object> e = estimateJson(domains, firstToken.estimate());
            e.put("interval_draws", firstToken.draws());
            e.put("fit_iterations", firstToken.fitIterations());
            e.put("fit_converged", firstToken.fitConverged());
            e.put("window_shares", domains.toMap(firstToken.windowShares()));
            e.put("kl_nats", firstToken.kl());
            e.put("effective_draws", Math.round(firstToken.effectiveDraws()));
            e.put("reference_documents", perDomain(domains, firstToken.documents()));
            e.put("reference_windows", perDomain(domains, firstToken.windows()));
            estimates.put(FIRST_TOKEN, e);
            if (useFirstToken) {
                best = firstToken.estimate();
            }
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
        String used = useFirstToken ? FIRST_TOKEN : chosen.id();
        out.put("estimator", used);
        if (!used.equals(configured)) {
            out.put("estimator_fallback", "the configured " + configured + " estimator could not run ("
                    + (configured.equals(FIRST_TOKEN) ? "it needs the model and reference text of known domains"
                    : "it needs a calibration") + "), so the shares are " + used + "'s");
        }
        out.put("interval", "raw: 95% equal-tailed Dirichlet posterior (Jeffreys prior); estimates from samples: 95% "
                + "bootstrap quantiles, resampling the samples and, per domain, the calibration continuations; "
                + FIRST_TOKEN + ": resampling the reference documents per domain and the model's distribution as the "
                + "number of draws its fit's residual corresponds to");
        out.put("estimates", estimates);
        if (cal != null) {
            Map<String, Object> c = cal.toJson(domains);
            // how much of the interval is the calibration's: the default estimate with the samples held fixed
            Quantifiers.Estimate spread = q.bootstrap(chosen, samples, rows, Math.max(2, draws / 2),
                    Seeds.derive(seed, "calibration-spread"), false, true);
            c.put("spread_sd", domains.toMap(spread.sd()));
            c.put("spread_estimator", chosen.id());
            out.put("calibration", c);
        }
        out.put("trust", trust(samples.size(), samples.size() - unlabeled, best, used, configured, cal != null,
                useFirstToken ? firstToken.kl() : Double.NaN, domains, probe));
        return out;
    }

    private static Map<String, Long> perDomain(Domains domains, long[] n) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < n.length; i++) {
            m.put(domains.name(i), n[i]);
        }
        return m;
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
    static Map<String, Object> trust(long samples, long labelled, Quantifiers.Estimate e, String chosen, String configured,
                                     boolean calibrated, double firstTokenKl, Domains domains, Config probe) {
        double minLabelled = probe.getDouble("trust.min-labelled-share");
        double maxWidth = probe.getDouble("trust.max-interval-width");
        double share = samples == 0 ? 0 : (double) labelled / samples;
        List<String> reasons = new ArrayList<>();
        // the first-token estimate reads the model, not the samples: how many the classifier labels does not bear on it
        if (share < minLabelled && !chosen.equals(FIRST_TOKEN)) {
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
        if (!chosen.equals(configured) && chosen.equals(Quantifiers.Method.RAW.id())) {
            reasons.add("no calibration, so the " + configured + " estimator could not run and the shares are the raw "
                    + "label shares, which lean toward the domains whose text the classifier recognises");
        }
        double maxKl = probe.getDouble("trust.max-first-token-kl");
        if (firstTokenKl > maxKl) {
            reasons.add(String.format("the model's first-token distribution is %.3f nats (KL) from the best mixture of the "
                    + "reference's window openings (over %.3f): the base is undertrained, was not pretrained with a begin "
                    + "token before every window, or the reference text is unlike its pretraining text; use another "
                    + "estimator (--set probe.estimator=pacc)", firstTokenKl, maxKl));
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
