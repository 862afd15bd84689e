package org.versatune.pipeline.probe;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Each estimator on counts whose answer is known by hand (two domains; label 2 = unlabeled). */
class QuantifiersTest {
    static final Quantifiers Q = new Quantifiers(2, null, 20000);

    /** Texts with the given labels, each with the given posterior. */
    static Quantifiers.Labels labels(int[] counts, double[][] posteriorPerLabel) {
        List<Integer> l = new ArrayList<>();
        for (int j = 0; j < counts.length; j++) {
            for (int i = 0; i < counts[j]; i++) {
                l.add(j);
            }
        }
        int[] a = l.stream().mapToInt(Integer::intValue).toArray();
        double[][] p = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            p[i] = posteriorPerLabel[a[i]];
        }
        return new Quantifiers.Labels(a, p);
    }

    static final double[][] ONE_HOT = {{1, 0}, {0, 1}, {0.5, 0.5}};

    /** Calibration: domain 0 labelled (8, 0, 2) of 10, domain 1 labelled (1, 5, 4) of 10. */
    static Quantifiers.Calibration calibration() {
        Quantifiers.Labels d0 = labels(new int[]{8, 0, 2}, ONE_HOT);
        Quantifiers.Labels d1 = labels(new int[]{1, 5, 4}, ONE_HOT);
        int[] truth = new int[20];
        int[] label = new int[20];
        double[][] post = new double[20][];
        for (int i = 0; i < 10; i++) {
            truth[i] = 0;
            label[i] = d0.label()[i];
            post[i] = d0.posterior()[i];
            truth[10 + i] = 1;
            label[10 + i] = d1.label()[i];
            post[10 + i] = d1.posterior()[i];
        }
        return new Quantifiers.Calibration(truth, new Quantifiers.Labels(label, post));
    }

    @Test
    void rawCountsLabelledTextsOnly() {
        assertThat(Q.estimate(Quantifiers.Method.RAW, labels(new int[]{2, 1, 5}, ONE_HOT), null)).containsExactly(2 / 3.0, 1 / 3.0);
        assertThat(Q.estimate(Quantifiers.Method.RAW, labels(new int[]{0, 0, 5}, ONE_HOT), null)).containsExactly(0.5, 0.5);
    }

    @Test
    void accInvertsTheCalibrationMatrix() {
        // p = (0.25, 0.75): G^T p = (0.8*0.25 + 0.1*0.75, 0.5*0.75, 0.2*0.25 + 0.4*0.75) = (0.275, 0.375, 0.35)
        Quantifiers.Labels s = labels(new int[]{11, 15, 14}, ONE_HOT);
        double[] p = Q.estimate(Quantifiers.Method.ACC, s, calibration());
        assertThat(p[0]).isCloseTo(0.25, within(1e-6));
        assertThat(p[1]).isCloseTo(0.75, within(1e-6));
    }

    @Test
    void maximumLikelihoodRecoversTheMixtureOfKnownLabelDistributions() {
        double[][] g = {{0.8, 0.0, 0.2}, {0.1, 0.5, 0.4}};
        double[] p = Quantifiers.ml(new double[]{11, 15, 14}, g);
        assertThat(p[0]).isCloseTo(0.25, within(1e-6));
        assertThat(p[1]).isCloseTo(0.75, within(1e-6));
        // through the estimator the calibration is smoothed by half a count per cell: close, not exact
        double[] smoothed = Q.estimate(Quantifiers.Method.ML, labels(new int[]{11, 15, 14}, ONE_HOT), calibration());
        assertThat(smoothed[0]).isCloseTo(0.25, within(0.05));
        assertThat(smoothed[0] + smoothed[1]).isCloseTo(1, within(1e-9));
    }

    @Test
    void paccInvertsMeanPosteriors() {
        // calibration means: domain 0 -> (0.7, 0.3), domain 1 -> (0.2, 0.8); samples' mean (0.4, 0.6) = 0.4 d0 + 0.6 d1
        double[][] post = {{0.7, 0.3}, {0.2, 0.8}, {0.5, 0.5}};
        Quantifiers.Labels cal = labels(new int[]{10, 10, 0}, post);
        int[] truth = new int[20];
        for (int i = 10; i < 20; i++) {
            truth[i] = 1;
        }
        double[] p = Q.estimate(Quantifiers.Method.PACC, labels(new int[]{4, 6, 0}, post), new Quantifiers.Calibration(truth, cal));
        assertThat(p[0]).isCloseTo(0.4, within(1e-6));
        assertThat(p[1]).isCloseTo(0.6, within(1e-6));
    }

    @Test
    void emKeepsSharpPosteriorsAndPushesIdenticalOnesToAVertex() {
        assertThat(Q.estimate(Quantifiers.Method.EM, labels(new int[]{3, 1, 0}, ONE_HOT), null)[0]).isCloseTo(0.75, within(1e-9));
        // every text has posterior (0.6, 0.4) under uniform priors: each step multiplies the odds by 1.5
        double[][] same = {{0.6, 0.4}, {0.6, 0.4}, {0.6, 0.4}};
        assertThat(Q.estimate(Quantifiers.Method.EM, labels(new int[]{5, 0, 0}, same), null)[0]).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void calibratedMethodsNeedACalibration() {
        assertThatThrownBy(() -> Q.estimate(Quantifiers.Method.ML, labels(new int[]{1, 1, 1}, ONE_HOT), null))
                .hasMessageContaining("needs a calibration");
        assertThatThrownBy(() -> Quantifiers.Method.parse("magic")).hasMessageContaining("first-token, raw, acc, pacc, em, ml");
    }

    @Test
    void intervalsWidenWhenCalibrationRowsAreResampledToo() {
        Quantifiers.Labels s = labels(new int[]{110, 150, 140}, ONE_HOT);
        Quantifiers.Estimate fixed = Q.bootstrap(Quantifiers.Method.ML, s, calibration(), 400, 7, true, false);
        Quantifiers.Estimate both = Q.bootstrap(Quantifiers.Method.ML, s, calibration(), 400, 7, true, true);
        assertThat(both.maxWidth()).isGreaterThan(fixed.maxWidth() * 1.2);
        assertThat(both.low()[0]).isLessThanOrEqualTo(both.shares()[0]);
        assertThat(both.high()[0]).isGreaterThanOrEqualTo(both.shares()[0]);
        // the same seed gives the same interval
        assertThat(Q.bootstrap(Quantifiers.Method.ML, s, calibration(), 400, 7, true, true).low()).containsExactly(both.low());
    }

    @Test
    void effectiveSampleSizeOfPerfectLabelsIsAboutTheSampleCount() {
        Quantifiers.Estimate e = Q.bootstrap(Quantifiers.Method.RAW, labels(new int[]{300, 100, 0}, ONE_HOT), null, 2000, 3, true, false);
        assertThat(e.effectiveSampleSize()).isBetween(300.0, 550.0);
    }
}
