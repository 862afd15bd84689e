package org.versatune.pipeline.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-domain metrics (docs/method.md section 5): mean token NLL on held-out responses, perplexity, score =
 * 100 * exp(-NLL), multiple-choice accuracy where items exist, and the comprehensive score (mean of domain
 * scores over the domains that have NLL data).
 */
public final class EvalMetrics {
    private EvalMetrics() {
    }

    public static double score(double nll) {
        return 100.0 * Math.exp(-nll);
    }

    public static Map<String, Object> of(List<String> domains, Map<String, DomainEvaluator.Sums> nll,
                                         Map<String, DomainEvaluator.Sums> mc) {
        Map<String, Object> per = new LinkedHashMap<>();
        double scoreSum = 0;
        int scored = 0;
        double accSum = 0;
        int accN = 0;
        for (String d : domains) {
            Map<String, Object> m = new LinkedHashMap<>();
            DomainEvaluator.Sums s = nll.get(d);
            if (s != null && s.tokens() > 0) {
                double mean = s.meanNll();
                m.put("mean_nll", mean);
                m.put("perplexity", Math.exp(mean));
                m.put("score", score(mean));
                m.put("records", s.records());
                m.put("tokens", (long) s.tokens());
                scoreSum += score(mean);
                scored++;
            }
            DomainEvaluator.Sums c = mc.get(d);
            if (c != null && c.mcItems() > 0) {
                double acc = (double) c.mcCorrect() / c.mcItems();
                m.put("mc_items", c.mcItems());
                m.put("mc_accuracy", acc);
                accSum += acc;
                accN++;
            }
            if (!m.isEmpty()) {
                per.put(d, m);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("domains", per);
        out.put("comprehensive_score", scored == 0 ? null : scoreSum / scored);
        out.put("mean_mc_accuracy", accN == 0 ? null : accSum / accN);
        return out;
    }
}
