package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.Json;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The results table, its summary across seeds and the report, from a small hand-made set of saved runs. */
class ExperimentResultsTest {
    static final Domains DOMAINS = Domains.of("law", "medicine", "finance");
    static final Configuration CONF = new Configuration();
    static final double[] BASE = {10, 20, 30};

    /** Kept after the build: CI renders this report in headless Chromium (bench/check-report.sh). */
    static final java.nio.file.Path OUT = java.nio.file.Path.of("target", "experiment-report-test");

    /** A saved run: summary.json with base and final per-domain scores (NLL consistent with them). */
    void run(String out, String strategy, long seed, double... scores) {
        String dir = ExperimentRunner.runDir(out, strategy, seed);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("base_eval", Map.of("domains", domains(BASE, 0.25)));
        summary.put("final_eval", Map.of("domains", domains(scores, 0.5)));
        Json.write(CONF, new Path(dir, "summary.json").toString(), summary);
        if (strategy.startsWith("versatune-")) {
            List<Map<String, Object>> history = new ArrayList<>();
            for (int stage = 1; stage <= 3; stage++) {
                for (int d = 0; d < 3; d++) {
                    history.add(Map.of("stage", stage, "domain", DOMAINS.name(d), "weight", (d + stage) / (3.0 + 3 * stage)));
                }
            }
            Json.write(CONF, new Path(dir, "weight-history.json").toString(), history);
        }
    }

    static Map<String, Object> domains(double[] scores, double mc) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int d = 0; d < scores.length; d++) {
            m.put(DOMAINS.name(d), Map.of("mean_nll", -Math.log(scores[d] / 100), "score", scores[d], "mc_accuracy", mc));
        }
        return m;
    }

    @Test
    @SuppressWarnings("unchecked")
    void summaryAcrossSeedsAndReportFromSavedRuns() throws Exception {
        org.apache.commons.io.FileUtils.deleteDirectory(OUT.toFile());
        String out = OUT.toAbsolutePath().toString();
        run(out, "uniform", 1, 12, 22, 32);            // comprehensive 22
        run(out, "uniform", 2, 11, 21, 31);            // 21
        run(out, "versatune-dynamic", 1, 14, 24, 34);  // 24: +9.09% over uniform
        run(out, "versatune-dynamic", 2, 10, 20, 30);  // 20: -4.76%
        run(out, "specific", 1, 25, 12, 24);           // law +15, others -8 -6
        run(out, "specific", 2, 25, 12, 24);
        run(out, "versatune-expand", 1, 24, 18, 31);   // law +14, others -2 +1
        run(out, "versatune-expand", 2, 24, 18, 31);
        List<ExperimentRunner.Run> runs = new ArrayList<>();
        for (String s : List.of("uniform", "versatune-dynamic", "specific", "versatune-expand")) {
            for (long seed : new long[]{1, 2}) {
                runs.add(new ExperimentRunner.Run(s, seed, ExperimentRunner.runDir(out, s, seed)));
            }
        }
        Map<String, Object> results = ExperimentResults.collect(CONF, DOMAINS, out, runs, "law");

        List<Map<String, Object>> rows = (List<Map<String, Object>>) results.get("rows");
        assertThat(rows).hasSize(8 * 3);
        assertThat(rows.get(0)).containsEntry("strategy", "uniform").containsEntry("seed", 1L).containsEntry("domain", "law");
        assertThat((double) rows.get(0).get("score_change")).isCloseTo(2.0, within(1e-12));
        String csv = ExperimentResults.csv(results);
        assertThat(csv.lines()).hasSize(1 + 24);
        assertThat(csv.lines().skip(1).findFirst().orElseThrow()).startsWith("uniform,1,law,");

        Map<String, Object> summary = (Map<String, Object>) results.get("summary");
        assertThat((double) summary.get("base_comprehensive_score")).isCloseTo(20, within(1e-12));
        Map<String, Object> dyn = (Map<String, Object>) ((Map<String, Object>) summary.get("strategies")).get("versatune-dynamic");
        assertThat((double) dyn.get("comprehensive_score_mean")).isCloseTo(22, within(1e-12));
        assertThat((double) dyn.get("comprehensive_score_std")).isCloseTo(Math.sqrt(8), within(1e-12));
        double r1 = 24.0 / 22 - 1, r2 = 20.0 / 21 - 1;   // paired by seed
        assertThat((double) dyn.get("relative_improvement_over_uniform_mean")).isCloseTo((r1 + r2) / 2, within(1e-12));
        assertThat(dyn).containsEntry("seeds_better_than_uniform", "1/2");
        assertThat((double) dyn.get("mc_accuracy_mean")).isCloseTo(0.5, within(1e-12));
        Map<String, Object> ex = (Map<String, Object>) ((Map<String, Object>) summary.get("expansion")).get("versatune-expand");
        assertThat((double) ex.get("target_gain_mean")).isCloseTo(14, within(1e-12));
        assertThat((double) ex.get("degradation_mean")).isCloseTo(-2, within(1e-12));
        assertThat((double) ex.get("reduction_of_degradation_vs_specific_mean")).isCloseTo(1 - 2.0 / 14, within(1e-12));
        assertThat((double) ex.get("target_gain_kept_vs_specific_mean")).isCloseTo(14.0 / 15, within(1e-12));

        // the report, as `versatune report` regenerates it from the saved outputs
        Json.write(CONF, new Path(out, "summary.json").toString(), summary);
        Map<String, Object> dist = new LinkedHashMap<>();
        for (String d : DOMAINS.names()) {
            dist.put(d, Map.of("raw", 0.3, "low", 0.25, "high", 0.35, "corrected", 0.33, "corrected_low", 0.28, "corrected_high", 0.38));
        }
        Json.write(CONF, new Path(out, "probe/distribution.json").toString(), Map.of("domains", dist,
                "correction", "calibrated: the p on the simplex minimising |G^T p - q|^2"));
        String index = ExperimentReport.write(CONF, out);
        String html = Files.readString(java.nio.file.Path.of(index));
        // distribution, 4 weight charts (2 dynamic strategies x 2 seeds), scores, expansion: all decodable PNGs
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([^\"]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertThat(img).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(100);
            images++;
        }
        assertThat(images).isEqualTo(7);
        assertThat(html.indexOf("versatune-dynamic seed-1")).isLessThan(html.indexOf("versatune-dynamic seed-2"));
        assertThat(html).contains("Probed distribution: raw label shares and calibrated shares", "Weights per stage: versatune-dynamic seed-1", "Domain expansion (target law)",
                "versatune-dynamic &gt; uniform=true");
    }
}
