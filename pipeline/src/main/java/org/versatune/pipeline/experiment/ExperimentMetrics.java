package org.versatune.pipeline.experiment;

import java.util.List;
import java.util.Map;

/**
 * Comparison maths of docs/method.md section 5: comprehensive score (mean of domain scores), relative improvement
 * of A over B, and for domain expansion the target gain, the summed degradation of the other domains, the
 * reduction of degradation versus {@code specific} and the share of its target gain kept; plus mean and
 * sample standard deviation across seeds.
 */
public final class ExperimentMetrics {
    private ExperimentMetrics() {
    }

    public static double comprehensive(Map<String, Double> scores) {
        return scores.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** (S_A - S_B) / S_B. */
    public static double relativeImprovement(double a, double b) {
        return (a - b) / b;
    }

    /** Change of the target domain's score from the base model. */
    public static double targetGain(Map<String, Double> after, Map<String, Double> base, String target) {
        return after.get(target) - base.get(target);
    }

    /** Sum over non-target domains of their negative score changes (a negative number, or 0). */
    public static double degradation(Map<String, Double> after, Map<String, Double> base, String target) {
        double s = 0;
        for (Map.Entry<String, Double> e : after.entrySet()) {
            if (!e.getKey().equals(target)) {
                s += Math.min(0, e.getValue() - base.get(e.getKey()));
            }
        }
        return s;
    }

    /** 1 - degradation(strategy) / degradation(specific); NaN when specific did not degrade. */
    public static double reductionOfDegradation(double degradation, double degradationSpecific) {
        return degradationSpecific == 0 ? Double.NaN : 1 - degradation / degradationSpecific;
    }

    /** Target gain as a share of specific's target gain. */
    public static double gainKept(double gain, double gainSpecific) {
        return gainSpecific == 0 ? Double.NaN : gain / gainSpecific;
    }

    public static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n - 1); 0 for a single value. */
    public static double std(List<Double> v) {
        if (v.size() < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.size() - 1));
    }
}
