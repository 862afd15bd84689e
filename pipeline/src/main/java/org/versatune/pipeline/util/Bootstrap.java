package org.versatune.pipeline.util;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The one bootstrap loop and quantile rule of the project: seeded draws of a vector statistic, and 95% percentile
 * intervals read with linear interpolation between order statistics (type 7, the usual default). The probe's
 * intervals and the experiment's intervals both come from here.
 */
public final class Bootstrap {
    private Bootstrap() {
    }

    /** One draw of the statistic from the draw's random source; NaN components are left out of that component. */
    @FunctionalInterface
    public interface Draw {
        double[] at(SplittableRandom rng);
    }

    /** The kept draws of each component ({@code [component][draw]}), sorted ascending. */
    public static double[][] run(int draws, long seed, int components, Draw statistic) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] got = new double[components][draws];
        int[] kept = new int[components];
        for (int b = 0; b < draws; b++) {
            double[] x = statistic.at(rng);
            for (int i = 0; i < components; i++) {
                if (!Double.isNaN(x[i])) {
                    got[i][kept[i]++] = x[i];
                }
            }
        }
        for (int i = 0; i < components; i++) {
            got[i] = Arrays.copyOf(got[i], kept[i]);
            Arrays.sort(got[i]);
        }
        return got;
    }

    /** n indices drawn uniformly with replacement from 0..n-1. */
    public static int[] resample(SplittableRandom rng, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = rng.nextInt(n);
        }
        return idx;
    }

    /** Linear interpolation between order statistics (type 7); NaN for no values. */
    public static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Sample variance (n - 1) of the values; 0 for fewer than two. */
    public static double variance(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double mean = Arrays.stream(v).average().orElse(0);
        return Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1);
    }
}
