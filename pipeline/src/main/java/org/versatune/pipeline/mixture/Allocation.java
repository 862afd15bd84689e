package org.versatune.pipeline.mixture;

import java.util.Arrays;

/**
 * Integer counts from weights by the largest-remainder method: floor(w_i * B) each, then the remaining units to
 * the largest fractional parts (ties: the earlier domain in the configured order). The counts sum to B exactly.
 */
public final class Allocation {
    private Allocation() {
    }

    public static long[] largestRemainder(double[] weights, long budget) {
        if (budget < 0) {
            throw new IllegalArgumentException("budget must be non-negative, got " + budget);
        }
        int k = weights.length;
        long[] n = new long[k];
        double[] frac = new double[k];
        long assigned = 0;
        double total = 0;
        for (double w : weights) {
            if (!Double.isFinite(w) || w < 0) {
                throw new IllegalArgumentException("weights must be finite and non-negative: " + Arrays.toString(weights));
            }
            total += w;
        }
        if (total <= 0) {
            throw new IllegalArgumentException("weights are all zero");
        }
        for (int i = 0; i < k; i++) {
            double exact = weights[i] / total * budget;
            n[i] = (long) Math.floor(exact + 1e-9);   // guard 0.3*10 = 2.9999999999999996
            frac[i] = exact - n[i];
            if (frac[i] < 0) {
                frac[i] = 0;
            }
            assigned += n[i];
        }
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        // larger fractional part first; equal (to 1e-12) -> earlier domain
        Arrays.sort(order, (a, b) -> Math.abs(frac[a] - frac[b]) > 1e-12 ? Double.compare(frac[b], frac[a]) : Integer.compare(a, b));
        long left = budget - assigned;
        for (int j = 0; left > 0; j = (j + 1) % k) {
            int i = order[j];
            if (weights[i] > 0 || total == 0) {
                n[i]++;
                left--;
            }
        }
        while (left < 0) {   // only possible through the rounding guard; take back from the smallest fractions
            for (int j = k - 1; j >= 0 && left < 0; j--) {
                if (n[order[j]] > 0) {
                    n[order[j]]--;
                    left++;
                }
            }
        }
        return n;
    }
}
