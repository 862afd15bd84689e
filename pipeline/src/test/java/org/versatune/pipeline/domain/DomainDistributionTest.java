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
}
