package org.versatune.pipeline.experiment;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ExperimentMetricsTest {
    static Map<String, Double> m(double law, double med, double fin) {
        Map<String, Double> x = new LinkedHashMap<>();
        x.put("law", law);
        x.put("medicine", med);
        x.put("finance", fin);
        return x;
    }

    @Test
    void handComputedTable() {
        Map<String, Double> base = m(10, 20, 30);
        Map<String, Double> specific = m(25, 12, 24);     // target law: +15; others -8 and -6
        Map<String, Double> expand = m(24, 18, 31);       // +14; -2 and +1
        assertThat(ExperimentMetrics.comprehensive(base)).isCloseTo(20, within(1e-12));
        assertThat(ExperimentMetrics.relativeImprovement(27.0, 20.0)).isCloseTo(0.35, within(1e-12));
        assertThat(ExperimentMetrics.targetGain(specific, base, "law")).isCloseTo(15, within(1e-12));
        assertThat(ExperimentMetrics.degradation(specific, base, "law")).isCloseTo(-14, within(1e-12));
        assertThat(ExperimentMetrics.degradation(expand, base, "law")).isCloseTo(-2, within(1e-12));
        assertThat(ExperimentMetrics.reductionOfDegradation(-2, -14)).isCloseTo(1 - 2.0 / 14, within(1e-12));
        assertThat(ExperimentMetrics.gainKept(14, 15)).isCloseTo(14.0 / 15, within(1e-12));
        assertThat(ExperimentMetrics.reductionOfDegradation(-2, 0)).isNaN();
    }

    @Test
    void seedSpread() {
        assertThat(ExperimentMetrics.mean(List.of(1.0, 2.0, 3.0))).isEqualTo(2.0);
        assertThat(ExperimentMetrics.std(List.of(1.0, 2.0, 3.0))).isCloseTo(1.0, within(1e-12));
        assertThat(ExperimentMetrics.std(List.of(5.0))).isZero();
    }
}
