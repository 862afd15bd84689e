package org.versatune.pipeline.experiment;

import java.util.List;

/**
 * Comparison maths of docs/method.md section 5 for domain expansion (the reduction of the other domains'
 * degradation versus {@code specific} and the share of its target gain kept), and mean and sample standard
 * deviation across seeds.
 */
public final class ExperimentMetrics {
    private ExperimentMetrics() {
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
