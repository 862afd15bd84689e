package org.versatune.pipeline.experiment;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Intervals for statistics of test-set results (docs/method.md section 5): the test items are resampled with
 * replacement within each domain, the same draw for every model and seed in the statistic (a paired bootstrap),
 * and the 2.5% and 97.5% quantiles of the statistic over the draws bound the 95% interval. The point estimate is the
 * statistic on the test set itself.
 */
public final class PairedBootstrap {
    private PairedBootstrap() {
    }

    /** A statistic of one resample of the test items (typically a difference between two strategies pooled over seeds). */
    @FunctionalInterface
    public interface Statistic {
        double at(TestScores.Resample r);
    }

    /** A point estimate with its 95% interval. */
    public record Interval(double estimate, double low, double high, int draws) {
        /**
         * The rule fixed before the runs: the first is better when the interval of (first - second) lies above 0,
         * worse when it lies below, and no difference is detectable when it holds 0.
         */
        public String verdict(boolean higherIsBetter) {
            boolean above = low > 0;
            boolean below = high < 0;
            if (!higherIsBetter) {
                boolean t = above;
                above = below;
                below = t;
            }
            return above ? "better" : below ? "worse" : "no detectable difference";
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimate", estimate);
            m.put("low", low);
            m.put("high", high);
            m.put("draws", draws);
            return m;
        }
    }

    public static Interval interval(Statistic s, int[] sftSizes, int[] mcSizes, int draws, long seed) {
        if (draws < 100) {
            throw new IllegalArgumentException("a 95% interval needs at least 100 bootstrap draws, got " + draws);
        }
        double estimate = s.at(TestScores.Resample.identity(sftSizes, mcSizes));
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[draws];
        int kept = 0;
        for (int b = 0; b < draws; b++) {
            double x = s.at(new TestScores.Resample(draw(sftSizes, rng), draw(mcSizes, rng)));
            if (!Double.isNaN(x)) {
                v[kept++] = x;
            }
        }
        if (kept == 0) {
            return new Interval(estimate, Double.NaN, Double.NaN, 0);
        }
        double[] sorted = Arrays.copyOf(v, kept);
        Arrays.sort(sorted);
        return new Interval(estimate, quantile(sorted, 0.025), quantile(sorted, 0.975), kept);
    }

    private static int[][] draw(int[] sizes, SplittableRandom rng) {
        int[][] out = new int[sizes.length][];
        for (int d = 0; d < sizes.length; d++) {
            out[d] = new int[sizes[d]];
            for (int i = 0; i < sizes[d]; i++) {
                out[d][i] = rng.nextInt(sizes[d]);
            }
        }
        return out;
    }

    /** Linear interpolation between order statistics (type 7, the usual default). */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
