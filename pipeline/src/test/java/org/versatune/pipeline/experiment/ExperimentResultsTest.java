package org.versatune.pipeline.experiment;

import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.versatune.pipeline.eval.DomainEvaluator.ItemScore;
import org.versatune.pipeline.eval.EvalMetrics;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.util.Bootstrap;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The results tables, the paired bootstrap and the report, from hand-made per-item test scores. */
class ExperimentResultsTest {
    static final List<String> DOMAINS = List.of("law", "medicine", "finance");
    static final Configuration CONF = new Configuration();
    /** Four SFT items of 10 tokens per domain; items' summed NLL below. */
    static final double[][] BASE = {{20, 20, 20, 20}, {30, 30, 30, 30}, {10, 10, 10, 10}};   // NLL 2.0, 3.0, 1.0

    /** Kept after the build: CI renders this report in headless Chromium (bench/check-report.sh). */
    static final java.nio.file.Path OUT = java.nio.file.Path.of("target", "experiment-report-test");

    static TestScores table(double[][] nll, int[] correct) {
        List<ItemScore> sft = new ArrayList<>();
        List<ItemScore> mc = new ArrayList<>();
        for (int d = 0; d < DOMAINS.size(); d++) {
            for (int i = 0; i < nll[d].length; i++) {
                sft.add(new ItemScore(DOMAINS.get(d) + "-" + i, DOMAINS.get(d), nll[d][i], 10, -1, 0));
                mc.add(new ItemScore(DOMAINS.get(d) + "-mc-" + i, DOMAINS.get(d), 0, 0, i < correct[d] ? 1 : 0, 4));
            }
        }
        return TestScores.of(DOMAINS, sft, mc);
    }

    /** Every item's NLL shifted by {@code delta} per token in every domain. */
    static double[][] shifted(double[][] nll, double... perDomain) {
        double[][] out = new double[nll.length][];
        for (int d = 0; d < nll.length; d++) {
            out[d] = nll[d].clone();
            for (int i = 0; i < out[d].length; i++) {
                out[d][i] += perDomain[d] * 10;
            }
        }
        return out;
    }

    static final ExperimentResults.Design DESIGN = new ExperimentResults.Design(
            List.of("versatune-dynamic > uniform", "uniform > inverse", "oracle > uniform", "versatune-dynamic-eta-3 > versatune-dynamic"),
            "law", 500, 7);

    @Test
    void bootstrapOnAHandMadeTable() {
        TestScores base = table(BASE, new int[]{1, 1, 1});
        TestScores a = table(shifted(BASE, -0.2, -0.1, 0), new int[]{2, 2, 2});
        TestScores.Resample all = TestScores.Resample.identity(base.sftSizes(), base.mcSizes());
        assertThat(base.domainNll(all)).containsExactly(2.0, 3.0, 1.0);
        assertThat(base.comprehensive(all)).isCloseTo((EvalMetrics.score(2) + EvalMetrics.score(3) + EvalMetrics.score(1)) / 3, within(1e-12));
        assertThat(a.meanNllChange(base, all)).isCloseTo(-0.1, within(1e-12));
        assertThat(a.meanAccuracy(all)).isEqualTo(0.5);
        assertThat(base.chance()).containsExactly(0.25, 0.25, 0.25);

        // the same shift on every item: every resample gives the same NLL difference, the interval is a point
        PairedBootstrap.Interval same = PairedBootstrap.interval(r -> a.meanNllChange(base, r), base.sftSizes(), base.mcSizes(), 500, 3);
        assertThat(same.low()).isCloseTo(-0.1, within(1e-12));
        assertThat(same.high()).isCloseTo(-0.1, within(1e-12));
        assertThat(same.verdict(false)).isEqualTo("better");
        // half the items better, half worse: the estimate is 0 and the interval holds it
        double[][] mixed = {{18, 22, 18, 22}, {30, 30, 30, 30}, {10, 10, 10, 10}};
        TestScores b = table(mixed, new int[]{1, 1, 1});
        PairedBootstrap.Interval noise = PairedBootstrap.interval(r -> b.meanNllChange(base, r), base.sftSizes(), base.mcSizes(), 500, 3);
        assertThat(noise.estimate()).isCloseTo(0, within(1e-12));
        assertThat(noise.low()).isNegative();
        assertThat(noise.high()).isPositive();
        assertThat(noise.verdict(true)).isEqualTo("no detectable difference");
        assertThat(new PairedBootstrap.Interval(1, -3, -1, 100).verdict(true)).isEqualTo("worse");
        // type-7 quantiles: 2.5% of 0..10 is 0.25
        assertThat(Bootstrap.quantile(new double[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.025)).isCloseTo(0.25, within(1e-12));
        // a seed: the same draws again
        assertThat(PairedBootstrap.interval(r -> b.meanNllChange(base, r), base.sftSizes(), base.mcSizes(), 500, 3)).isEqualTo(noise);
        assertThatThrownBy(() -> base.requireSameItems(table(new double[][]{{1}, {1}, {1}}, new int[]{0, 0, 0}), "run x"))
                .hasMessageContaining("run x").hasMessageContaining("law");
    }

    @Test
    void seedSpreadWidensTheInterval() {
        TestScores base = table(BASE, new int[]{1, 1, 1});
        // per seed, A's every item is better than B's by 0.0106, 0.0240 and 0.0021 nats per token (the spread of the
        // recorded oracle-dynamic over oracle): the items agree, so the items-only interval excludes 0, the seeds do not
        double[] gaps = {0.0106, 0.0240, 0.0021};
        List<PairedBootstrap.Statistic> perSeed = new ArrayList<>();
        for (double g : gaps) {
            TestScores b = table(shifted(BASE, -0.1, -0.1, -0.1), new int[]{1, 1, 1});
            TestScores a = table(shifted(BASE, -0.1 - g, -0.1 - g, -0.1 - g), new int[]{1, 1, 1});
            perSeed.add(r -> a.meanNll(r) - b.meanNll(r));
        }
        PairedBootstrap.Interval items = PairedBootstrap.interval(r -> perSeed.stream().mapToDouble(x -> x.at(r)).average().orElseThrow(),
                base.sftSizes(), base.mcSizes(), 500, 3);
        assertThat(items.verdict(false)).isEqualTo("better");
        PairedBootstrap.SeedInterval both = PairedBootstrap.seedsAndItems(perSeed, base.sftSizes(), base.mcSizes(), 500, 3);
        assertThat(both.items()).isEqualTo(items);   // the items-only interval reported beside the verdict is this one
        double mean = -(0.0106 + 0.0240 + 0.0021) / 3;
        double sd = Math.sqrt(((0.0106 + mean) * (0.0106 + mean) + (0.0240 + mean) * (0.0240 + mean) + (0.0021 + mean) * (0.0021 + mean)) / 2);
        // no item variance (every item moves alike): mean +- t(0.975, 2) * sd / sqrt(3), t = 4.302653
        assertThat(both.interval().estimate()).isCloseTo(mean, within(1e-12));
        assertThat(both.seedSd()).isCloseTo(sd, within(1e-12));
        assertThat(both.interval().low()).isCloseTo(mean - 4.302653 * sd / Math.sqrt(3), within(1e-6));
        assertThat(both.interval().high()).isCloseTo(mean + 4.302653 * sd / Math.sqrt(3), within(1e-6));
        assertThat(both.interval().verdict(false)).isEqualTo("no detectable difference");
        // one seed: the seeds' variance is unknown, the items-only interval is returned and labelled so, and a claim
        // on one seed gets no verdict
        PairedBootstrap.SeedInterval one = PairedBootstrap.seedsAndItems(perSeed.subList(0, 1), base.sftSizes(), base.mcSizes(), 500, 3);
        assertThat(one.seedTerm()).isFalse();
        Map<String, TreeMap<Long, TestScores>> oneSeed = new LinkedHashMap<>();
        oneSeed.put("a", new TreeMap<>(Map.of(1L, table(shifted(BASE, -0.2, -0.2, -0.2), new int[]{1, 1, 1}))));
        oneSeed.put("b", new TreeMap<>(Map.of(1L, table(shifted(BASE, -0.1, -0.1, -0.1), new int[]{1, 1, 1}))));
        ExperimentSummary.Comparison c = ExperimentResults.comparison("a", "b", oneSeed, base, DESIGN);
        assertThat(c.scoreVerdict()).isEqualTo(ExperimentResults.ONE_SEED).isEqualTo(c.nllVerdict());
        assertThat(c.scoreVerdictItemsOnly()).isEqualTo("better");

        // items that disagree and seeds that disagree: both terms count (the half-width exceeds the seeds' term alone)
        double[][] noisy = {{18, 22, 17, 23}, {29, 31, 28, 32}, {9, 11, 10, 10}};
        List<PairedBootstrap.Statistic> itemsAndSeeds = new ArrayList<>();
        for (double g : gaps) {
            TestScores b = table(BASE, new int[]{1, 1, 1});
            TestScores a = table(shifted(noisy, -g, -g, -g), new int[]{1, 1, 1});
            itemsAndSeeds.add(r -> a.meanNll(r) - b.meanNll(r));
        }
        PairedBootstrap.SeedInterval mixed = PairedBootstrap.seedsAndItems(itemsAndSeeds, base.sftSizes(), base.mcSizes(), 500, 3);
        double seedsAlone = 4.302653 * mixed.seedSd() / Math.sqrt(3);
        assertThat((mixed.interval().high() - mixed.interval().low()) / 2).isGreaterThan(seedsAlone * 1.01);
        assertThat(one.rule()).startsWith("items only");
    }

    void scores(String dir, String strategy, long seed, TestScores t) {
        t.write(CONF, ExperimentResults.scoresFile(dir, strategy, seed), "model of " + strategy);
    }

    @Test
    @SuppressWarnings("unchecked")
    void claimsExpansionAndReportFromSavedScores() throws Exception {
        FileUtils.deleteDirectory(OUT.toFile());
        String out = OUT.toAbsolutePath().toString();
        String dir = new Path(out, ExperimentRunner.SCORES).toString();
        scores(dir, null, 0, table(BASE, new int[]{1, 1, 1}));
        List<ExperimentRunner.Run> runs = new ArrayList<>();
        for (long seed : new long[]{1, 2}) {
            double[][] uniform = shifted(BASE, -0.2 + 0.1 * seed, -0.1, 0);
            Map<String, TestScores> s = new LinkedHashMap<>();
            s.put("uniform", table(uniform, new int[]{1, 2, 1}));
            s.put("versatune-dynamic", table(shifted(uniform, -0.1, -0.1, -0.1), new int[]{2, 2, 1}));
            // inverse: as uniform on average, but item by item 0.2 better or worse in law
            double[][] inverse = shifted(uniform, 0, 0, 0);
            for (int i = 0; i < 4; i++) {
                inverse[0][i] += i % 2 == 0 ? 2 : -2;
            }
            s.put("inverse", table(inverse, new int[]{1, 1, 1}));
            s.put("versatune-dynamic-eta-3", table(shifted(uniform, -0.1, -0.1, -0.1), new int[]{2, 2, 1}));
            s.put("specific", table(shifted(BASE, -1.0, 0.2, 0.2), new int[]{3, 1, 1}));          // law gains, the others lose
            s.put("versatune-expand", table(shifted(BASE, -0.8, 0.05, 0), new int[]{3, 1, 1}));
            for (var e : s.entrySet()) {
                scores(dir, e.getKey(), seed, e.getValue());
                runs.add(new ExperimentRunner.Run(e.getKey(), seed, ExperimentRunner.runDir(out, e.getKey(), seed)));
            }
        }
        ExperimentResults.Tables results = ExperimentResults.collect(CONF, runs, dir, DESIGN);

        List<Map<String, Object>> rows = results.rows();
        assertThat(rows).hasSize(6 * 2 * 3);
        Map<String, Object> first = rows.stream().filter(r -> r.get("strategy").equals("uniform") && r.get("seed").equals(1L)
                && r.get("domain").equals("law")).findFirst().orElseThrow();
        assertThat((double) first.get("mean_nll")).isCloseTo(1.9, within(1e-12));
        assertThat((double) first.get("nll_change")).isCloseTo(-0.1, within(1e-12));
        assertThat((double) first.get("score_change")).isCloseTo(EvalMetrics.score(1.9) - EvalMetrics.score(2.0), within(1e-12));
        assertThat(ExperimentResults.csv(results).lines()).hasSize(1 + 36);

        ExperimentSummary summary = results.summary();
        List<ExperimentSummary.Comparison> claims = summary.claims();
        // oracle did not run: its claim is left out; the eta run is reported apart
        assertThat(claims).extracting(ExperimentSummary.Comparison::claim).containsExactly("versatune-dynamic > uniform", "uniform > inverse");
        assertThat(summary.sensitivity()).extracting(ExperimentSummary.Comparison::claim)
                .containsExactly("versatune-dynamic-eta-3 > versatune-dynamic");
        ExperimentSummary.Comparison dyn = claims.get(0);
        assertThat(dyn.nllChangeDifference().estimate()).isCloseTo(-0.1, within(1e-12));
        assertThat(dyn.nllChangeDifference().low()).isCloseTo(-0.1, within(1e-12));
        assertThat(dyn.nllVerdict()).isEqualTo("better");
        assertThat(dyn.scoreVerdict()).isEqualTo("better");
        assertThat(dyn.metricsAgree()).isTrue();
        assertThat(dyn.seedsABetter()).isEqualTo("2/2");
        ExperimentSummary.Comparison inv = claims.get(1);
        assertThat(inv.scoreVerdict()).isEqualTo("no detectable difference");
        assertThat(inv.nllVerdict()).isEqualTo("no detectable difference");

        ExperimentSummary.Strategy uni = summary.strategies().get("uniform");
        double c1 = (EvalMetrics.score(1.9) + EvalMetrics.score(2.9) + EvalMetrics.score(1.0)) / 3;
        double c2 = (EvalMetrics.score(2.0) + EvalMetrics.score(2.9) + EvalMetrics.score(1.0)) / 3;
        assertThat(uni.comprehensiveScoreMean()).isCloseTo((c1 + c2) / 2, within(1e-12));
        assertThat(uni.meanNllChange()).isCloseTo((-0.2 / 3 - 0.1 / 3) / 2, within(1e-12));
        assertThat(uni.mcAccuracyMean()).isCloseTo((0.25 + 0.5 + 0.25) / 3, within(1e-12));
        assertThat(summary.base().mcChance()).isEqualTo(0.25);

        ExperimentSummary.ExpansionRun ex = summary.expansion().runs().get("versatune-expand");
        double gainSpec = EvalMetrics.score(1.0) - EvalMetrics.score(2.0);
        double gainExp = EvalMetrics.score(1.2) - EvalMetrics.score(2.0);
        double degSpec = (EvalMetrics.score(3.2) - EvalMetrics.score(3.0)) + (EvalMetrics.score(1.2) - EvalMetrics.score(1.0));
        double degExp = EvalMetrics.score(3.05) - EvalMetrics.score(3.0);
        assertThat(ex.targetGainMean()).isCloseTo(gainExp, within(1e-9));
        assertThat(ex.targetGainKeptVsSpecific().estimate()).isCloseTo(gainExp / gainSpec, within(1e-9));
        assertThat(ex.reductionOfDegradationVsSpecific().estimate()).isCloseTo(1 - degExp / degSpec, within(1e-9));
        assertThat(ex.reductionVerdict()).isEqualTo("degrades the other domains less than specific");

        // summary.json keeps the keys and shape the bench scripts read, and reads back into the same records
        String summaryFile = new Path(out, "summary.json").toString();
        Json.write(CONF, summaryFile, summary);
        Map<String, Object> written = Json.readMap(CONF, summaryFile);
        assertThat(written).containsOnlyKeys("base", "strategies", "claims", "sensitivity", "verdict_rule", "expansion");
        assertThat(((Map<String, Object>) ((List<?>) written.get("claims")).get(0)).keySet()).containsExactly("claim", "a", "b", "seeds",
                "seeds_a_better", "score_difference", "score_verdict", "nll_change_difference", "nll_verdict", "metrics_agree",
                "score_difference_items_only", "score_verdict_items_only", "nll_change_difference_items_only", "nll_verdict_items_only");
        assertThat((Map<String, Object>) ((Map<String, Object>) ((List<?>) written.get("claims")).get(0)).get("score_difference"))
                .containsOnlyKeys("estimate", "low", "high", "draws", "seed_sd", "rule");
        assertThat((Map<String, Object>) ((Map<String, Object>) written.get("expansion")).get("versatune-expand"))
                .containsKeys("target_gain_kept_vs_specific", "reduction_verdict");
        assertThat((Map<String, Object>) written.get("expansion")).containsEntry("target", "law");
        assertThat(Json.read(CONF, summaryFile, ExperimentSummary.class).claims()).isEqualTo(summary.claims());

        // the report, as `versatune report` regenerates it from the saved outputs
        for (long seed : new long[]{1, 2}) {
            List<Map<String, Object>> history = new ArrayList<>();
            for (int stage = 1; stage <= 3; stage++) {
                for (int d = 0; d < 3; d++) {
                    history.add(Map.of("stage", stage, "domain", DOMAINS.get(d), "weight", d == 0 ? 0.01 * stage : (1 - 0.01 * stage) / 2));
                }
            }
            Json.write(CONF, new Path(ExperimentRunner.runDir(out, "versatune-dynamic", seed), "weight-history.json").toString(), history);
        }
        Map<String, Object> dist = new LinkedHashMap<>();
        for (String d : DOMAINS) {
            dist.put(d, Map.of("raw", 0.3, "low", 0.25, "high", 0.35, "corrected", 0.33, "corrected_low", 0.28, "corrected_high", 0.38));
        }
        Json.write(CONF, new Path(out, "probe/distribution.json").toString(), Map.of("domains", dist, "estimator", "pacc",
                "trust", Map.of("verdict", "trusted")));
        Json.write(CONF, new Path(out, "oracle-weights.json").toString(), Map.of("weights", Map.of("law", 0.5, "medicine", 0.3, "finance", 0.2)));
        String index = ExperimentReport.write(CONF, out);
        String html = Files.readString(java.nio.file.Path.of(index));
        // distribution, scores, per-domain scores, MC accuracy, expansion, 2 weight charts: all decodable PNGs
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([^\"]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertThat(img).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(100);
            images++;
        }
        assertThat(images).isEqualTo(7);
        // the first screen: the answer and the verdict table come before any chart
        int firstImage = html.indexOf("<img");
        assertThat(html.indexOf("id=\"answer\"")).isPositive().isLessThan(firstImage);
        assertThat(html.indexOf("id=\"verdicts\"")).isLessThan(firstImage);
        assertThat(html.substring(0, firstImage)).contains("versatune-dynamic vs uniform</b>: versatune-dynamic scores higher than uniform",
                "uniform vs inverse</b>: no detectable difference", "id=\"mix\"", "Total variation between the probed and the true mix: 0.1667");   // shares 0.33 each, read as 1/3
        // beside the verdict, the items-only interval and verdict of the rule used before 2026-12-07
        assertThat(html).contains("items only (rule before 2026-12-07)", "<td>+1.9820 [+1.9820, +1.9820] better</td>");
        assertThat(html.indexOf("versatune-dynamic seed-1")).isLessThan(html.indexOf("versatune-dynamic seed-2"));
        assertThat(html).contains("Weights per stage: versatune-dynamic seed-1", "Domain expansion (target law)",
                "Sensitivity of the dynamic update", "<td>0.0100</td>");
    }

    /** The committed comparison, written before the items-only fields existed: it still reads and renders. */
    @Test
    void committedSummaryReadsAndRenders() throws Exception {
        java.nio.file.Path committed = java.nio.file.Path.of("..", "bench", "results", "comparison");
        java.nio.file.Path dir = java.nio.file.Path.of("target", "committed-report-test");
        FileUtils.deleteDirectory(dir.toFile());
        for (String f : List.of("summary.json", "oracle-weights.json", "probe/distribution.json")) {
            Files.createDirectories(dir.resolve(f).getParent());
            Files.copy(committed.resolve(f), dir.resolve(f));
        }
        ExperimentSummary summary = Json.read(CONF, dir.resolve("summary.json").toString(), ExperimentSummary.class);
        // written back, it is the committed file: no key renamed, added or lost
        assertThat(Json.MAPPER.readTree(Json.write(summary))).isEqualTo(Json.MAPPER.readTree(dir.resolve("summary.json").toFile()));
        ExperimentSummary.Comparison first = summary.claims().get(0);
        assertThat(first.claim()).isEqualTo("versatune-dynamic > uniform");
        assertThat(first.scoreVerdict()).isEqualTo("worse");
        assertThat(first.scoreDifference().seedSd()).isNull();
        assertThat(first.scoreDifferenceItemsOnly()).isNull();
        assertThat(summary.expansion().target()).isEqualTo("law");
        assertThat(summary.expansion().runs()).containsOnlyKeys("specific", "uniform-rest", "versatune-expand");

        String html = Files.readString(java.nio.file.Path.of(ExperimentReport.write(CONF, dir.toAbsolutePath().toString())));
        for (ExperimentSummary.Comparison c : summary.claims()) {
            assertThat(html).contains("<b>" + c.a() + " vs " + c.b() + "</b>", "<td>" + c.a() + " &gt; " + c.b() + "</td>");
        }
        assertThat(html).contains("versatune-dynamic scores lower than uniform", "- (not recorded)", "id=\"mix\"",
                "Domain expansion (target law)", "Sensitivity of the dynamic update");
    }

    /** A training run's folder: its own summary (StagedTraining's, other fields ignored) and weight history. */
    @Test
    void singleRunReport() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of("target", "single-run-report-test");
        FileUtils.deleteDirectory(dir.toFile());
        String out = dir.toAbsolutePath().toString();
        Map<String, Object> base = Map.of("domains", Map.of("law", Map.of("mean_nll", 2.0, "score", EvalMetrics.score(2.0), "records", 4)));
        Map<String, Object> fin = Map.of("domains", Map.of("law", Map.of("mean_nll", 1.5, "score", EvalMetrics.score(1.5),
                "mc_items", 4, "mc_accuracy", 0.5)), "comprehensive_score", EvalMetrics.score(1.5));
        Json.write(CONF, new Path(out, "summary.json").toString(), Map.of("strategy", "versatune-dynamic", "stages", 2,
                "base_eval", base, "final_eval", fin, "seconds", 1.5));
        Json.write(CONF, new Path(out, "weight-history.json").toString(), List.of(Map.of("stage", 1, "domain", "law", "weight", 1.0),
                Map.of("stage", 2, "domain", "law", "weight", 1.0)));
        String html = Files.readString(java.nio.file.Path.of(ExperimentReport.write(CONF, out)));
        assertThat(html).contains("<td>law</td><td>2.0000</td><td>1.5000</td>", "<td>0.5000</td>", "Weights per stage: versatune-dynamic");
    }
}
