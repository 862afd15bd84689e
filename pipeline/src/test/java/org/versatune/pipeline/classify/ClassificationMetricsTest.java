package org.versatune.pipeline.classify;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ClassificationMetricsTest {
    @Test
    void handComputedTwoClassCase() {
        // rows true, columns predicted: a: 8 right, 2 as b; b: 1 as a, 4 right
        ClassificationMetrics m = new ClassificationMetrics(List.of("a", "b"), new long[][]{{8, 2}, {1, 4}});
        assertThat(m.accuracy()).isCloseTo(12.0 / 15, within(1e-12));
        assertThat(m.precision(0)).isCloseTo(8.0 / 9, within(1e-12));
        assertThat(m.recall(0)).isCloseTo(0.8, within(1e-12));
        assertThat(m.f1(0)).isCloseTo(2 * (8.0 / 9) * 0.8 / (8.0 / 9 + 0.8), within(1e-12));
        assertThat(m.precision(1)).isCloseTo(4.0 / 6, within(1e-12));
        assertThat(m.recall(1)).isCloseTo(0.8, within(1e-12));
        assertThat(m.macroF1()).isCloseTo((m.f1(0) + m.f1(1)) / 2, within(1e-12));
        assertThat(m.confusionRates()[1]).containsExactly(0.2, 0.8);
    }

    @Test
    void domainsWithoutSupportDoNotCountInMacroF1() {
        ClassificationMetrics m = new ClassificationMetrics(List.of("a", "b", "c"), new long[][]{{5, 0, 0}, {0, 5, 0}, {0, 0, 0}});
        assertThat(m.macroF1()).isEqualTo(1.0);
        assertThat(m.toJson()).containsKeys("accuracy", "macro_f1", "per_domain", "confusion");
    }
}
