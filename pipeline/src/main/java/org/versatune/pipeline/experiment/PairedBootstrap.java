package org.versatune.pipeline.experiment;

import org.apache.commons.math3.distribution.TDistribution;
import org.versatune.pipeline.util.Bootstrap;

import java.util.List;
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
    }

    public static Interval interval(Statistic s, int[] sftSizes, int[] mcSizes, int draws, long seed) {
        return percentile(s.at(TestScores.Resample.identity(sftSizes, mcSizes)), draws(s, sftSizes, mcSizes, draws, seed));
    }

    /**
     * The mean over seeds of per-seed paired differences, with a 95% interval that holds both sources of variance
     * (docs/method.md section 5): the test items' (the variance of the seed mean over paired bootstrap draws, the
     * models held fixed) and the training seeds' (the sample variance of the per-seed differences over n seeds),
     * added, with Student's t quantile at n - 1 degrees of freedom. One seed leaves the seeds' variance unknown: the
     * item-only percentile interval is returned and {@link SeedInterval#seedTerm()} is false.
     */
    public static SeedInterval seedsAndItems(List<Statistic> perSeed, int[] sftSizes, int[] mcSizes, int draws, long seed) {
        if (perSeed.isEmpty()) {
            throw new IllegalArgumentException("an interval over seeds needs at least one seed");
        }
        Statistic mean = r -> perSeed.stream().mapToDouble(x -> x.at(r)).average().orElse(Double.NaN);
        TestScores.Resample all = TestScores.Resample.identity(sftSizes, mcSizes);
        double[] got = draws(mean, sftSizes, mcSizes, draws, seed);
        Interval items = percentile(mean.at(all), got);
        int n = perSeed.size();
        if (n < 2) {
            return new SeedInterval(items, items, 0, false);
        }
        double[] d = perSeed.stream().mapToDouble(x -> x.at(all)).toArray();
        double seedVar = Bootstrap.variance(d);
        double half = new TDistribution(n - 1).inverseCumulativeProbability(0.975)
                * Math.sqrt(Bootstrap.variance(got) + seedVar / n);
        return new SeedInterval(new Interval(items.estimate(), items.estimate() - half, items.estimate() + half, got.length),
                items, Math.sqrt(seedVar), true);
    }

    /**
     * An interval over seeds and items, the items-only percentile interval of the same seed mean (the earlier rule,
     * reported beside it), and the per-seed differences' standard deviation.
     */
    public record SeedInterval(Interval interval, Interval items, double seedSd, boolean seedTerm) {
        /** How the interval was made, written beside it. */
        public String rule() {
            return seedTerm ? "seeds and items (t, n - 1 df)" : "items only (one seed: the seeds' variance is unknown)";
        }
    }

    /** The statistic on each of {@code draws} paired resamples of the test items (NaN draws left out), sorted. */
    private static double[] draws(Statistic s, int[] sftSizes, int[] mcSizes, int draws, long seed) {
        if (draws < 100) {
            throw new IllegalArgumentException("a 95% interval needs at least 100 bootstrap draws, got " + draws);
        }
        return Bootstrap.run(draws, seed, 1, rng -> new double[]{s.at(resample(sftSizes, mcSizes, rng))})[0];
    }

    private static Interval percentile(double estimate, double[] sorted) {
        return new Interval(estimate, Bootstrap.quantile(sorted, 0.025), Bootstrap.quantile(sorted, 0.975), sorted.length);
    }

    private static TestScores.Resample resample(int[] sftSizes, int[] mcSizes, SplittableRandom rng) {
        return new TestScores.Resample(draw(sftSizes, rng), draw(mcSizes, rng));
    }

    private static int[][] draw(int[] sizes, SplittableRandom rng) {
        int[][] out = new int[sizes.length][];
        for (int d = 0; d < sizes.length; d++) {
            out[d] = Bootstrap.resample(rng, sizes[d]);
        }
        return out;
    }
}
