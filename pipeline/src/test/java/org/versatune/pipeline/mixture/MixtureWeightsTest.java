package org.versatune.pipeline.mixture;

import org.junit.jupiter.api.Test;
import org.versatune.pipeline.domain.Domains;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MixtureWeightsTest {
    static final Domains D = Domains.of("law", "medicine", "finance", "science", "code", "general");

    @Test
    void parsesPartialSpecsAndRejectsBadWeights() {
        MixtureWeights w = MixtureWeights.parse(D, "code=0.75, law=0.25");
        assertThat(w.toArray()).containsExactly(0.25, 0, 0, 0, 0.75, 0);
        assertThatThrownBy(() -> MixtureWeights.parse(D, "law=0.5,code=0.6")).hasMessageContaining("sum to 1.1");
        assertThatThrownBy(() -> MixtureWeights.parse(D, "law=-0.5,code=1.5")).hasMessageContaining("negative");
        assertThatThrownBy(() -> MixtureWeights.parse(D, "law=NaN,code=1")).hasMessageContaining("finite");
        assertThatThrownBy(() -> MixtureWeights.parse(D, "astro=1")).hasMessageContaining("unknown domain 'astro'");
        assertThatThrownBy(() -> MixtureWeights.parse(D, "law=x")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> MixtureWeights.parse(D, "law=0.5,law=0.5")).hasMessageContaining("twice");
    }

    @Test
    void strategiesFollowTheMethod() {
        double[] p = {0.1, 0.1, 0.05, 0.15, 0.25, 0.35};
        MixtureStrategy.Inputs in = new MixtureStrategy.Inputs(p, new long[]{1, 1, 2, 0, 4, 2}, null, "law", 0.5);
        assertThat(MixtureStrategy.VERSATUNE.weights(D, in).toArray()).containsExactly(p, within(1e-12));
        assertThat(MixtureStrategy.UNIFORM.weights(D, in).get(0)).isCloseTo(1.0 / 6, within(1e-12));
        assertThat(MixtureStrategy.PROPORTIONAL.weights(D, in).toArray())
                .containsExactly(new double[]{0.1, 0.1, 0.2, 0, 0.4, 0.2}, within(1e-12));
        double[] inv = MixtureStrategy.INVERSE.weights(D, in).toArray();
        assertThat(inv[0]).isCloseTo(0.9 / 5, within(1e-12));   // sum of (1 - p) over 6 domains is 5
        assertThat(MixtureStrategy.SPECIFIC.weights(D, in).toArray()).containsExactly(new double[]{1, 0, 0, 0, 0, 0}, within(1e-12));
        assertThat(MixtureStrategy.UNIFORM_REST.weights(D, in).toArray())
                .containsExactly(new double[]{0.5, 0.1, 0.1, 0.1, 0.1, 0.1}, within(1e-12));
        double[] ve = MixtureStrategy.VERSATUNE_EXPAND.weights(D, in).toArray();
        assertThat(ve[0]).isCloseTo(0.5, within(1e-12));
        assertThat(ve[4]).isCloseTo(0.5 * 0.25 / 0.9, within(1e-12));
        assertThatThrownBy(() -> MixtureStrategy.VERSATUNE.weights(D, new MixtureStrategy.Inputs(null, null, null, null, 0.5)))
                .hasMessageContaining("distribution.json");
        assertThatThrownBy(() -> MixtureStrategy.SPECIFIC.weights(D, new MixtureStrategy.Inputs(null, null, null, null, 0.5)))
                .hasMessageContaining("--target");
        assertThatThrownBy(() -> MixtureStrategy.parse("greedy")).hasMessageContaining("versatune, uniform");
    }

    @Test
    void redistributeMovesShortfallToDomainsWithRoom() {
        long[] c = MixtureSampler.applyShortage(new long[]{50, 50, 0, 0, 0, 0}, new long[]{10, 200, 0, 0, 5, 0},
                new double[]{0.5, 0.5, 0, 0, 0, 0}, MixtureSampler.Shortage.REDISTRIBUTE, D);
        assertThat(c).containsExactly(10, 90, 0, 0, 0, 0);
        assertThat(MixtureSampler.applyShortage(new long[]{50, 50, 0, 0, 0, 0}, new long[]{10, 200, 0, 0, 0, 0},
                new double[]{0.5, 0.5, 0, 0, 0, 0}, MixtureSampler.Shortage.REPLACE, D)).containsExactly(50, 50, 0, 0, 0, 0);
        assertThatThrownBy(() -> MixtureSampler.applyShortage(new long[]{5, 5, 0, 0, 0, 0}, new long[]{10, 0, 0, 0, 0, 0},
                new double[]{0.5, 0.5, 0, 0, 0, 0}, MixtureSampler.Shortage.REPLACE, D))
                .hasMessageContaining("domain 'medicine' but the pool has none");
        assertThatThrownBy(() -> MixtureSampler.applyShortage(new long[]{50, 50, 0, 0, 0, 0}, new long[]{10, 20, 0, 0, 0, 0},
                new double[]{0.5, 0.5, 0, 0, 0, 0}, MixtureSampler.Shortage.REDISTRIBUTE, D))
                .hasMessageContaining("fewer than the 100 requested");
    }
}
