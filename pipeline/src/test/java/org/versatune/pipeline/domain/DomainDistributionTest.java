package org.versatune.pipeline.domain;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DomainDistributionTest {
    @Test
    void correctionInvertsAKnownConfusion() {
        double[] truth = {0.1, 0.1, 0.05, 0.15, 0.25, 0.35};
        double[][] c = new double[6][6];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                c[i][j] = i == j ? 0.8 : 0.04;
            }
        }
        double[] observed = new double[6];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                observed[j] += truth[i] * c[i][j];
            }
        }
        assertThat(DomainDistribution.totalVariation(observed, truth)).isGreaterThan(0.05);
        double[] corrected = DomainDistribution.correct(observed, c);
        assertThat(DomainDistribution.totalVariation(corrected, truth)).isLessThan(1e-9);
    }

    @Test
    void correctionClipsNegativesAndRenormalises() {
        double[][] c = {{0.9, 0.1}, {0.1, 0.9}};
        double[] p = DomainDistribution.correct(new double[]{0.05, 0.95}, c);  // below the confusion floor
        assertThat(p[0]).isEqualTo(0.0);
        assertThat(p[1]).isCloseTo(1.0, within(1e-12));
        // a singular confusion matrix still gives a distribution
        double[] s = DomainDistribution.correct(new double[]{0.5, 0.5}, new double[][]{{0.5, 0.5}, {0.5, 0.5}});
        assertThat(s[0] + s[1]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void dirichletIntervalsCoverTheTruthAboutNinetyFivePercentOfTheTime() {
        double[] truth = {0.1, 0.1, 0.05, 0.15, 0.25, 0.35};
        Random r = new Random(3);
        int trials = 400;
        int covered = 0;
        int checks = 0;
        for (int t = 0; t < trials; t++) {
            long[] n = new long[6];
            for (int s = 0; s < 500; s++) {
                double u = r.nextDouble();
                int i = 0;
                while (u > truth[i] && i < 5) {
                    u -= truth[i++];
                }
                n[i]++;
            }
            double[][] ci = DomainDistribution.dirichletInterval(n, 0.95);
            for (int i = 0; i < 6; i++) {
                checks++;
                if (ci[i][0] <= truth[i] && truth[i] <= ci[i][1]) {
                    covered++;
                }
            }
        }
        double rate = (double) covered / checks;
        assertThat(rate).isBetween(0.92, 0.98);
    }

    @Test
    void correctedIntervalsContainTheCorrectedEstimate() {
        double[][] c = {{0.8, 0.2, 0.0}, {0.1, 0.8, 0.1}, {0.0, 0.2, 0.8}};
        long[] n = {300, 500, 200};
        double[] point = DomainDistribution.correct(DomainDistribution.shares(n), c);
        double[][] ci = DomainDistribution.correctedInterval(n, c, 0.95, 1000, 7);
        for (int i = 0; i < 3; i++) {
            assertThat(point[i]).isBetween(ci[i][0], ci[i][1]);
        }
        assertThat(DomainDistribution.correctedInterval(n, c, 0.95, 1000, 7)).isEqualTo(ci);
    }

    @Test
    void calibrationInvertsLabelSharesWithUnlabeled() {
        // domain a is labelled half the time (else unlabeled), b always: true (0.6, 0.4) is observed as
        // a 0.3, b 0.4, unlabeled 0.3, i.e. labelled shares (0.43, 0.57); the inversion recovers (0.6, 0.4)
        double[][] g = {{0.5, 0.0, 0.5}, {0.0, 1.0, 0.0}};
        double[] p = DomainDistribution.calibrated(new double[]{0.3, 0.4, 0.3}, g, 20000);
        assertThat(p[0]).isCloseTo(0.6, within(1e-6));
        assertThat(p[1]).isCloseTo(0.4, within(1e-6));
        // with confusion between labels too: a -> (0.6 a, 0.1 b, 0.3 unlabeled), b -> (0.2 a, 0.7 b, 0.1 unlabeled)
        double[][] g2 = {{0.6, 0.1, 0.3}, {0.2, 0.7, 0.1}};
        double[] truth = {0.25, 0.75};
        double[] q = new double[3];
        for (int j = 0; j < 3; j++) {
            q[j] = truth[0] * g2[0][j] + truth[1] * g2[1][j];
        }
        double[] p2 = DomainDistribution.calibrated(q, g2, 20000);
        assertThat(p2[0]).isCloseTo(0.25, within(1e-6));
        // inconsistent observations still give a distribution
        double[] p3 = DomainDistribution.calibrated(new double[]{0.0, 0.0, 1.0}, g2, 20000);
        assertThat(p3[0] + p3[1]).isCloseTo(1.0, within(1e-12));
        assertThat(p3[0]).isGreaterThanOrEqualTo(0);
        assertThat(p3[1]).isGreaterThanOrEqualTo(0);
    }

    @Test
    void projectionOntoTheSimplex() {
        assertThat(DomainDistribution.projectToSimplex(new double[]{0.2, 0.3, 0.5})).containsExactly(0.2, 0.3, 0.5);
        double[] p = DomainDistribution.projectToSimplex(new double[]{2.0, 0.0, -1.0});
        assertThat(p).containsExactly(1.0, 0.0, 0.0);
        double[] q = DomainDistribution.projectToSimplex(new double[]{0.5, 0.5, 0.5});
        assertThat(q[0]).isCloseTo(1.0 / 3, within(1e-12));
    }
}
