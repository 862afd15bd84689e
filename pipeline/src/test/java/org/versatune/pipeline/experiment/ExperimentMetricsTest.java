package org.versatune.pipeline.experiment;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ExperimentMetricsTest {

    @Test
    void expansionRatios() {
        // specific: target +15, others -8 and -6 (degradation -14); a strategy with +14 and -2
        assertThat(ExperimentMetrics.reductionOfDegradation(-2, -14)).isCloseTo(1 - 2.0 / 14, within(1e-12));
        assertThat(ExperimentMetrics.gainKept(14, 15)).isCloseTo(14.0 / 15, within(1e-12));
        assertThat(ExperimentMetrics.reductionOfDegradation(-2, 0)).isNaN();
        assertThat(ExperimentMetrics.gainKept(3, 0)).isNaN();
    }

    @Test
    void seedSpread() {
        assertThat(ExperimentMetrics.mean(List.of(1.0, 2.0, 3.0))).isEqualTo(2.0);
        assertThat(ExperimentMetrics.std(List.of(1.0, 2.0, 3.0))).isCloseTo(1.0, within(1e-12));
        assertThat(ExperimentMetrics.std(List.of(5.0))).isZero();
    }
}
