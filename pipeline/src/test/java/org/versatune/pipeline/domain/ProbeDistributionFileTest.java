package org.versatune.pipeline.domain;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProbeDistributionFileTest {
    static final Domains D = Domains.of("a", "b");

    static Map<String, Object> dist(Object a, Object b, String verdict) {
        Map<String, Object> ds = new LinkedHashMap<>();
        if (a != null) {
            ds.put("a", Map.of("corrected", a));
        }
        if (b != null) {
            ds.put("b", Map.of("corrected", b));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domains", ds);
        if (verdict != null) {
            m.put("trust", Map.of("verdict", verdict, "reasons", verdict.equals("trusted") ? List.of() : List.of("3 of 256 samples labelled")));
        }
        return m;
    }

    @Test
    void readsTheSharesOfATrustedEstimate() {
        assertThat(ProbeDistributionFile.parse(dist(0.25, 0.75, "trusted"), D, "corrected", "f.json").sharesForWeights(false))
                .containsExactly(0.25, 0.75);
    }

    @Test
    void refusesAnUntrustedEstimateUnlessAllowed() {
        ProbeDistributionFile f = ProbeDistributionFile.parse(dist(0.25, 0.75, "untrusted"), D, "corrected", "p/distribution.json");
        assertThatThrownBy(() -> f.sharesForWeights(false)).isInstanceOf(ProbeDistributionFile.UntrustedException.class)
                .hasMessageContaining("p/distribution.json").hasMessageContaining("3 of 256 samples labelled")
                .hasMessageContaining("--samples").hasMessageContaining("--calibration").hasMessageContaining("--allow-untrusted-probe");
        assertThat(f.sharesForWeights(true)).containsExactly(0.25, 0.75);
        assertThatThrownBy(() -> ProbeDistributionFile.parse(dist(0.5, 0.5, null), D, "corrected", "old.json").sharesForWeights(false))
                .hasMessageContaining("no trust verdict");
    }

    @Test
    void validatesAsStrictlyAsAWeightsFile() {
        Map<String, Object> extra = dist(0.25, 0.75, "trusted");
        @SuppressWarnings("unchecked")
        Map<String, Object> ds = (Map<String, Object>) extra.get("domains");
        ds.put("astrology", Map.of("corrected", 0.64));
        assertThatThrownBy(() -> ProbeDistributionFile.parse(extra, D, "corrected", "x.json"))
                .hasMessageContaining("x.json").hasMessageContaining("'astrology'").hasMessageContaining("not one of the configured domains");
        assertThatThrownBy(() -> ProbeDistributionFile.parse(dist("0.25", 0.75, "trusted"), D, "corrected", "x.json"))
                .hasMessageContaining("domains.a.corrected is 0.25, not a number");
        assertThatThrownBy(() -> ProbeDistributionFile.parse(dist(1.0, null, "trusted"), D, "corrected", "x.json"))
                .hasMessageContaining("domain 'b' is missing");
        assertThatThrownBy(() -> ProbeDistributionFile.parse(dist(0.5, 0.6, "trusted"), D, "corrected", "x.json"))
                .hasMessageContaining("sum to 1.1");
        assertThatThrownBy(() -> ProbeDistributionFile.parse(dist(-0.5, 1.5, "trusted"), D, "corrected", "x.json"))
                .hasMessageContaining("non-negative");
        assertThatThrownBy(() -> ProbeDistributionFile.parse(Map.of("domains", Map.of("a", Map.of("raw", 1.0), "b", Map.of("raw", 0.0))),
                D, "corrected", "x.json")).hasMessageContaining("domains.a has no 'corrected' field");
    }
}
