package org.versatune.pipeline.train;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.versatune.pipeline.mixture.AllocationTest;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DomainWeightUpdaterTest {
    static double[] d(Object o) {
        return AllocationTest.doubles(o);
    }

    @Test
    @SuppressWarnings("unchecked")
    void reproducesTheMethodsWorkedExamplesToOneInABillion() throws Exception {
        List<Map<String, Object>> cases = AllocationTest.vectors("update");
        assertThat(cases).hasSize(3);
        for (Map<String, Object> c : cases) {
            Map<String, Object> e = (Map<String, Object>) c.get("expected");
            DomainWeightUpdater.Params p = "paper".equals(c.get("preset")) ? DomainWeightUpdater.Params.paper()
                    : new DomainWeightUpdater.Params(DomainWeightUpdater.Preset.VERSATUNE, ((Number) c.get("eta")).doubleValue(),
                    ((Number) c.get("lambda")).doubleValue(), ((Number) c.get("smoothing_c")).doubleValue(), 0, 0);
            DomainWeightUpdater.Step s = new DomainWeightUpdater(p).update(d(c.get("weights")), d(c.get("loss")),
                    d(c.get("reference_loss")), d(c.get("best_previous_loss")));
            assertClose(s.score(), d(e.get("score")));
            assertClose(s.after(), d(e.get("weights")));
            if (e.get("learnable_potential") != null) {
                assertClose(s.potential(), d(e.get("learnable_potential")));
                assertClose(s.forgetting(), d(e.get("forgetting_degree")));
            }
        }
    }

    static void assertClose(double[] actual, double[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("index " + i).isCloseTo(expected[i], within(1e-9));
        }
    }

    @Test
    void smoothingKeepsEveryWeightAboveCOverK() {
        DomainWeightUpdater u = new DomainWeightUpdater(new DomainWeightUpdater.Params(DomainWeightUpdater.Preset.VERSATUNE, 5, 1, 0.01, 0, 0));
        double[] w = {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6};
        double[] ref = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
        for (int stage = 0; stage < 50; stage++) {
            // adversarial: domain 0 always looks the most learnable
            w = u.update(w, new double[]{9, 1, 1, 1, 1, 1}, ref, new double[]{9, 1, 1, 1, 1, 1}).after();
            for (double x : w) {
                assertThat(x).isGreaterThanOrEqualTo(0.01 / 6 - 1e-15);
            }
        }
        assertThat(Arrays.stream(w).sum()).isCloseTo(1, within(1e-12));
    }

    @Test
    void floorAndCapBoundTheUpdate() {
        DomainWeightUpdater u = new DomainWeightUpdater(new DomainWeightUpdater.Params(DomainWeightUpdater.Preset.VERSATUNE, 20, 1, 0, 0.05, 0.02));
        double[] w = {0.25, 0.25, 0.25, 0.25};
        double[] after = u.update(w, new double[]{5, 1, 1, 1}, new double[]{0.1, 0.9, 0.9, 0.9}, new double[]{5, 1, 1, 1}).after();
        assertThat(Arrays.stream(after).sum()).isCloseTo(1, within(1e-12));
        for (int i = 0; i < 4; i++) {
            assertThat(after[i]).isGreaterThanOrEqualTo(0.05 - 1e-12);
            assertThat(Math.abs(after[i] - w[i])).isLessThanOrEqualTo(0.02 + 0.02);   // capped, then renormalised
        }
    }

    @Test
    void forgettingRaisesAForgottenDomain() {
        DomainWeightUpdater u = new DomainWeightUpdater(new DomainWeightUpdater.Params(DomainWeightUpdater.Preset.VERSATUNE, 1, 1, 0, 0, 0));
        DomainWeightUpdater.Step s = u.update(new double[]{0.5, 0.5}, new double[]{2.0, 2.0}, new double[]{1.0, 1.0},
                new double[]{1.6, 2.0});
        assertThat(s.forgetting()[0]).isCloseTo(0.25, within(1e-12));
        assertThat(s.after()[0]).isGreaterThan(s.after()[1]);
    }

    @Test
    void rejectsNonFiniteAndMisshapenInput() {
        DomainWeightUpdater u = new DomainWeightUpdater(DomainWeightUpdater.Params.paper());
        assertThatThrownBy(() -> u.update(new double[]{0.5, 0.5}, new double[]{Double.NaN, 1}, new double[]{1, 1}, new double[]{1, 1}))
                .hasMessageContaining("non-finite");
        assertThatThrownBy(() -> u.update(new double[]{0.5, 0.5}, new double[]{1}, new double[]{1, 1}, new double[]{1, 1}))
                .hasMessageContaining("expected 2 values");
    }

    @Property(tries = 300)
    void neverCollapsesToOneDomainWithSmoothing(@ForAll @IntRange(min = 2, max = 8) int k,
                                                @ForAll @DoubleRange(min = 0.1, max = 10) double eta,
                                                @ForAll long seed) {
        Random r = new Random(seed);
        DomainWeightUpdater u = new DomainWeightUpdater(new DomainWeightUpdater.Params(DomainWeightUpdater.Preset.VERSATUNE, eta, 1, 1e-3, 0, 0));
        double[] w = new double[k];
        Arrays.fill(w, 1.0 / k);
        double[] best = new double[k];
        Arrays.fill(best, 3);
        for (int stage = 0; stage < 20; stage++) {
            double[] loss = new double[k];
            double[] ref = new double[k];
            for (int i = 0; i < k; i++) {
                loss[i] = 0.5 + 5 * r.nextDouble();
                ref[i] = loss[i] * r.nextDouble();
            }
            w = u.update(w, loss, ref, best).after();
            for (int i = 0; i < k; i++) {
                best[i] = Math.min(best[i], loss[i]);
            }
            assertThat(Arrays.stream(w).sum()).isCloseTo(1, within(1e-9));
            assertThat(Arrays.stream(w).min().orElseThrow()).isGreaterThanOrEqualTo(1e-3 / k - 1e-15);
            assertThat(Arrays.stream(w).max().orElseThrow()).isLessThanOrEqualTo(1 - (k - 1) * 1e-3 / k + 1e-12);
        }
    }
}
