package org.versatune.pipeline.classify;

import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vectors;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * What a trained domain classifier knows: the featurizer, inverse document frequencies and the weights of a
 * multinomial logistic regression, laid out feature-major ({@code weights[f * K + k]}) so that one feature's
 * K weights are adjacent. Prediction is one pass over the text plus K multiply-adds per distinct feature.
 */
public final class ClassifierWeights implements Serializable {
    private final List<String> domains;
    private final TextFeatures features;
    private final float[] idf;
    private final float[] weights;
    private final float[] intercepts;

    public ClassifierWeights(List<String> domains, TextFeatures features, float[] idf, float[] weights, float[] intercepts) {
        int k = domains.size();
        if (idf.length != features.numFeatures() || weights.length != features.numFeatures() * k || intercepts.length != k) {
            throw new IllegalArgumentException("classifier weights do not match " + features.numFeatures()
                    + " features x " + k + " domains");
        }
        this.domains = List.copyOf(domains);
        this.features = features;
        this.idf = idf;
        this.weights = weights;
        this.intercepts = intercepts;
    }

    public List<String> domains() {
        return domains;
    }

    public TextFeatures features() {
        return features;
    }

    float[] idf() {
        return idf;
    }

    float[] weights() {
        return weights;
    }

    float[] intercepts() {
        return intercepts;
    }

    /** Class probabilities of {@code text} into {@code out} (length K). */
    public double[] probabilities(CharSequence text, TextFeatures.Counts counts, double[] out) {
        int k = domains.size();
        int n = features.featurize(text, counts);
        double norm = 0;
        for (int i = 0; i < n; i++) {
            double v = tf(counts.count(i)) * idf[counts.key(i)];
            norm += v * v;
        }
        double inv = norm > 0 ? 1.0 / Math.sqrt(norm) : 0;
        for (int c = 0; c < k; c++) {
            out[c] = intercepts[c];
        }
        for (int i = 0; i < n; i++) {
            int f = counts.key(i);
            double v = tf(counts.count(i)) * idf[f] * inv;
            int base = f * k;
            for (int c = 0; c < k; c++) {
                out[c] += v * weights[base + c];
            }
        }
        softmax(out);
        return out;
    }

    static double tf(float count) {
        return 1.0 + Math.log(count);
    }

    /** z becomes softmax(z), in place (max-shifted, so large values do not overflow). */
    public static void softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            z[i] = Math.exp(z[i] - max);
            sum += z[i];
        }
        for (int i = 0; i < z.length; i++) {
            z[i] /= sum;
        }
    }

    /** TF-IDF, L2-normalised feature vector (indices sorted) for training. */
    static SparseVector vector(TextFeatures features, float[] idf, CharSequence text, TextFeatures.Counts counts) {
        int n = features.featurize(text, counts);
        int[] keys = new int[n];
        double[] vals = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            keys[i] = counts.key(i);
            vals[i] = tf(counts.count(i)) * (idf == null ? 1f : idf[keys[i]]);
            norm += vals[i] * vals[i];
        }
        // sort by feature index
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            packed[i] = ((long) keys[i] << 32) | i;
        }
        Arrays.sort(packed);
        int[] sortedKeys = new int[n];
        double[] sortedVals = new double[n];
        double inv = norm > 0 ? 1.0 / Math.sqrt(norm) : 0;
        for (int i = 0; i < n; i++) {
            int j = (int) packed[i];
            sortedKeys[i] = keys[j];
            sortedVals[i] = vals[j] * inv;
        }
        return (SparseVector) Vectors.sparse(features.numFeatures(), sortedKeys, sortedVals);
    }
}
