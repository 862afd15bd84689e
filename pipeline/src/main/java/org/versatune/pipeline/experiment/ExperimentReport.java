package org.versatune.pipeline.experiment;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.versatune.pipeline.domain.DomainDistribution;
import org.versatune.pipeline.io.Json;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report of an experiment folder (or of a single training run): one self-contained HTML page with PNG charts
 * (also written beside it) and the tables, regenerated from saved outputs only. Charts: the probed distribution
 * with its intervals, the weights per stage of each dynamic run, per-domain scores per strategy, and the
 * expansion gains and losses.
 */
public final class ExperimentReport {
    public static final String DIR = "report";

    private ExperimentReport() {
    }

    /** Where {@link #write} puts a folder's report page. */
    public static String index(String folder) {
        return new Path(new Path(folder, DIR), "index.html").toString();
    }

    public static String write(Configuration conf, String folder) {
        // a re-scored test (<experiment>/rescore/<name>) shows the experiment's own probe and weight histories
        Path f = new Path(folder);
        Path source = f.getParent() != null && f.getParent().getName().equals(ExperimentRunner.RESCORE) ? f.getParent().getParent() : f;
        return write(conf, folder, source);
    }

    private static String write(Configuration conf, String folder, Path source) {
        System.setProperty("java.awt.headless", "true");
        try {
            Path root = new Path(folder);
            FileSystem fs = root.getFileSystem(conf);
            if (!fs.exists(new Path(root, "summary.json"))) {
                throw new IllegalArgumentException("'" + folder + "' holds no summary.json: not an experiment or training run folder");
            }
            String file = new Path(root, "summary.json").toString();
            // a training run's summary (StagedTraining) carries its final evaluation; an experiment's does not
            boolean singleRun = Json.readMap(conf, file).containsKey("final_eval");
            Path dir = new Path(root, DIR);
            fs.mkdirs(dir);
            StringBuilder first = new StringBuilder();
            StringBuilder body = new StringBuilder();
            List<String[]> charts = new ArrayList<>();
            if (singleRun) {
                singleRunSections(conf, fs, root, Json.read(conf, file, RunSummary.class), charts, body);
            } else {
                experimentSections(conf, fs, root, source, Json.read(conf, file, ExperimentSummary.class), charts, first, body);
            }
            StringBuilder html = new StringBuilder();
            html.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>VersaTune report</title><style>")
                    .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
                    .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                    .append("th:first-child,td:first-child{text-align:left}img{max-width:100%;border:1px solid #eee}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}")
                    .append("</style></head><body><h1>VersaTune report</h1><p>").append(esc(folder)).append("</p>").append(first);
            for (String[] c : charts) {
                byte[] png = readBytes(fs, new Path(dir, c[0]));
                html.append("<h2>").append(esc(c[1])).append("</h2><img alt=\"").append(esc(c[1])).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(png)).append("\">");
            }
            html.append(body);
            Path cfg = new Path(root, "config.json");
            if (fs.exists(cfg)) {
                html.append("<h2>Resolved configuration</h2><pre>").append(esc(Json.readText(conf, cfg.toString()))).append("</pre>");
            }
            html.append("<script>document.body.dataset.imagesLoaded=Array.from(document.images).filter(i=>i.complete&&i.naturalWidth>0).length;")
                    .append("document.body.dataset.images=document.images.length;</script></body></html>\n");
            String index = new Path(dir, "index.html").toString();
            Json.writeText(conf, index, html.toString());
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report of " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Colour-blind-safe colours (Okabe-Ito, then Tol's), one per series in order. */
    static final Color[] PALETTE = {new Color(0x000000), new Color(0xE69F00), new Color(0x56B4E9), new Color(0x009E73),
            new Color(0xF0E442), new Color(0x0072B2), new Color(0xD55E00), new Color(0xCC79A7), new Color(0x882255),
            new Color(0x44AA99), new Color(0x999933), new Color(0x661100), new Color(0x6699CC), new Color(0x888888)};

    /** What the report reads of a probe's distribution.json (ProbeDistribution.Result writes all of it). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Probed(String estimator, Map<String, ProbedShare> domains, ProbedTrust trust) {
    }

    /** A domain's raw label share and the chosen estimate's, with their 95% intervals. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ProbedShare(double raw, double low, double high, double corrected, double correctedLow, double correctedHigh) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ProbedTrust(String verdict) {
    }

    /** oracle-weights.json: the base's true pretraining mix. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record OracleWeights(Map<String, Double> weights) {
    }

    /** One row of a run's weight-history.json. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record WeightRow(int stage, String domain, double weight) {
    }

    /** What the report reads of a training run's summary.json (StagedTraining writes it). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record RunSummary(String strategy, int stages, RunEval baseEval, RunEval finalEval) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record RunEval(Map<String, DomainEval> domains) {
    }

    /** A domain's evaluation; a figure not measured (no SFT records, no multiple-choice items) is null. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record DomainEval(Double meanNll, Double score, Double mcAccuracy) {
    }

    /**
     * An experiment's page leads with the answer: the verdict of every claim with its interval, the strategies'
     * table and the probed mix against the true one; charts and per-run details follow.
     */
    private static void experimentSections(Configuration conf, FileSystem fs, Path root, Path source, ExperimentSummary summary,
                                           List<String[]> charts, StringBuilder first, StringBuilder body) throws IOException {
        Map<String, ExperimentSummary.Strategy> strategies = summary.strategies();
        ExperimentSummary.Base base = summary.base();
        List<ExperimentSummary.Comparison> claims = summary.claims() == null ? List.of() : summary.claims();
        List<String> domains = new ArrayList<>(base.domainScore().keySet());

        // the answer, in words, then as a table
        first.append("<h2>Answer</h2><p id=\"answer\">");
        if (claims.isEmpty()) {
            first.append("No claim could be tested: the strategies it compares did not both run.");
        }
        for (ExperimentSummary.Comparison c : claims) {
            ExperimentSummary.Interval d = c.scoreDifference();
            first.append("<b>").append(esc(c.a())).append(" vs ").append(esc(c.b())).append("</b>: ")
                    .append(esc(verdictWords(c))).append(" (score difference ").append(sf(d.estimate())).append(", 95% interval ")
                    .append(sf(d.low())).append(" to ").append(sf(d.high())).append(c.metricsAgree()
                            ? "; the NLL metric agrees). " : "; the NLL metric says: " + esc(c.nllVerdict()) + "). ");
        }
        first.append("</p><p>Rule: ").append(esc(String.valueOf(summary.verdictRule()))).append(". Test set: ")
                .append(esc(String.valueOf(base.testRecords()))).append(" SFT records and ")
                .append(esc(String.valueOf(base.mcItems()))).append(" multiple-choice items per domain.</p>");
        // the verdict rule changed on 2026-12-07 (docs/method.md section 5): the earlier items-only one stays beside it
        first.append("<table id=\"verdicts\"><tr><th>claim</th>").append(COMPARISON_HEADERS)
                .append("<th>metrics agree</th><th>seeds A better</th></tr>");
        for (ExperimentSummary.Comparison c : claims) {
            first.append("<tr>").append(comparisonCells(c)).append("<td>").append(c.metricsAgree() ? "yes" : "no")
                    .append("</td><td>").append(esc(String.valueOf(c.seedsABetter()))).append("</td></tr>");
        }
        first.append("</table>");
        first.append("<table id=\"strategies\"><tr><th>strategy</th><th>comprehensive score [95% interval]</th><th>mean NLL change</th>")
                .append("<th>vs uniform [95% interval]</th><th>seeds better than uniform</th><th>MC accuracy</th></tr>");
        first.append("<tr><td>base model</td><td>").append(f(base.comprehensiveScore())).append("</td><td>0</td><td>-</td><td>-</td><td>")
                .append(f(base.mcAccuracy())).append(" (chance ").append(f(base.mcChance())).append(")</td></tr>");
        for (var e : strategies.entrySet()) {
            ExperimentSummary.Strategy m = e.getValue();
            ExperimentSummary.Comparison vs = m.vsUniform();
            first.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(f(m.comprehensiveScoreMean())).append(" ")
                    .append(bracket(m.comprehensiveScoreInterval())).append("</td><td>").append(sf(m.meanNllChange()))
                    .append("</td><td>").append(vs == null ? "-" : interval(vs.scoreDifference())).append("</td><td>")
                    .append(vs == null ? "-" : esc(String.valueOf(vs.seedsABetter()))).append("</td><td>")
                    .append(f(m.mcAccuracyMean())).append("</td></tr>");
        }
        first.append("</table>");
        Path dist = new Path(source, "probe/distribution.json");
        Path oracle = new Path(source, "oracle-weights.json");
        if (fs.exists(dist)) {
            Probed dm = Json.read(conf, dist.toString(), Probed.class);
            Map<String, Double> truth = fs.exists(oracle) ? Json.read(conf, oracle.toString(), OracleWeights.class).weights() : null;
            first.append("<h2>Probed mix against the base's true pretraining mix</h2><table id=\"mix\"><tr><th>domain</th><th>true share</th>")
                    .append("<th>probed (").append(esc(String.valueOf(dm.estimator()))).append(") [95% interval]</th><th>raw label share</th></tr>");
            double[] probed = new double[domains.size()];
            double[] trueMix = new double[domains.size()];
            for (String d : domains) {
                ProbedShare p = dm.domains().get(d);
                Double tr = truth == null ? null : truth.get(d);
                probed[domains.indexOf(d)] = p.corrected();
                trueMix[domains.indexOf(d)] = tr == null ? 0 : tr;
                first.append("<tr><td>").append(esc(d)).append("</td><td>").append(f(tr)).append("</td><td>").append(f(p.corrected()))
                        .append(" [").append(f(p.correctedLow())).append(", ").append(f(p.correctedHigh())).append("]</td><td>")
                        .append(f(p.raw())).append("</td></tr>");
            }
            // both as shares summing to 1: a distance between mixes, whatever rounding the files carry
            first.append("</table><p>Total variation between the probed and the true mix: ").append(truth == null ? "- (no true mix recorded)"
                    : f(DomainDistribution.totalVariation(DomainDistribution.normalise(probed), DomainDistribution.normalise(trueMix))))
                    .append("; the probe's verdict: ").append(esc(dm.trust() == null ? "none recorded" : String.valueOf(dm.trust().verdict())))
                    .append(".</p>");
            distributionChart(fs, root, dm, truth, charts);
        }

        // charts
        List<String> names = new ArrayList<>(strategies.keySet());
        CategoryChart sc = chart("Comprehensive score per strategy (mean over seeds, 95% interval over test items)", "strategy",
                "score = 100 exp(-NLL), mean over domains", 1000, 420);
        List<Double> y = new ArrayList<>();
        List<Double> err = new ArrayList<>();
        for (String n : names) {
            ExperimentSummary.Strategy m = strategies.get(n);
            y.add(m.comprehensiveScoreMean());
            err.add((m.comprehensiveScoreInterval().high() - m.comprehensiveScoreInterval().low()) / 2);
        }
        sc.addSeries("strategies", names, y, err);
        sc.getStyler().setLegendVisible(false);
        sc.getStyler().setYAxisMin(Math.max(0, y.stream().mapToDouble(v -> v).min().orElse(0) - 4 * err.stream().mapToDouble(v -> v).max().orElse(1)));
        save(fs, root, "scores.png", "Comprehensive score per strategy with 95% intervals", sc, charts);

        CategoryChart pd = chart("Per-domain score (mean over seeds) with the base model", "domain", "score = 100 exp(-NLL)", 1100, 450);
        pd.addSeries("base model", domains, values(base.domainScore(), domains));
        for (String n : names) {
            pd.addSeries(n, domains, values(strategies.get(n).domainScoreMean(), domains));
        }
        save(fs, root, "domain-scores.png", "Per-domain scores per strategy, base model first", pd, charts);

        CategoryChart mc = chart("Multiple-choice accuracy (mean over domains and seeds) and the accuracy of guessing", "strategy",
                "accuracy", 1000, 420);
        List<String> mcNames = new ArrayList<>(List.of("base model"));
        mcNames.addAll(names);
        List<Double> acc = new ArrayList<>(List.of(base.mcAccuracy()));
        names.forEach(n -> acc.add(strategies.get(n).mcAccuracyMean()));
        if (acc.stream().noneMatch(v -> Double.isNaN(v))) {
            mc.addSeries("accuracy", mcNames, acc);
            List<Double> chance = new ArrayList<>();
            mcNames.forEach(n -> chance.add(base.mcChance()));
            mc.addSeries("chance", mcNames, chance).setChartCategorySeriesRenderStyle(CategorySeriesRenderStyle.Line);
            save(fs, root, "mc-accuracy.png", "Multiple-choice accuracy with the chance line", mc, charts);
        }

        ExperimentSummary.Expansion ex = summary.expansion();
        if (ex != null) {
            CategoryChart g = chart("Domain expansion (target " + ex.target() + "): score change of every domain from the base",
                    "domain", "score change", 1000, 420);
            body.append("<h2>Domain expansion (target ").append(esc(ex.target())).append(")</h2><table><tr><th>strategy</th>")
                    .append("<th>target gain</th><th>degradation of the others</th><th>target gain kept vs specific [95%]</th>")
                    .append("<th>reduction of degradation vs specific [95%]</th><th>verdicts</th></tr>");
            for (var e : ex.runs().entrySet()) {
                ExperimentSummary.ExpansionRun m = e.getValue();
                g.addSeries(e.getKey(), domains, values(m.domainScoreChangeMean(), domains));
                body.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(sf(m.targetGainMean()))
                        .append("</td><td>").append(sf(m.degradationMean())).append("</td><td>")
                        .append(interval(m.targetGainKeptVsSpecific())).append("</td><td>")
                        .append(interval(m.reductionOfDegradationVsSpecific())).append("</td><td>")
                        .append(m.gainKeptVerdict() == null ? "-" : esc(m.gainKeptVerdict() + "; " + m.reductionVerdict()))
                        .append("</td></tr>");
            }
            body.append("</table>");
            save(fs, root, "expansion.png", "Expansion: every domain's score change (target and the others)", g, charts);
        }
        List<ExperimentSummary.Comparison> sens = summary.sensitivity() == null ? List.of() : summary.sensitivity();
        if (!sens.isEmpty()) {
            body.append("<h2>Sensitivity of the dynamic update (step size eta)</h2><table><tr><th>claim</th>")
                    .append(COMPARISON_HEADERS).append("</tr>");
            for (ExperimentSummary.Comparison c : sens) {
                body.append("<tr>").append(comparisonCells(c)).append("</tr>");
            }
            body.append("</table>");
        }
        // weights per stage of the runs that change them: a table (small weights stay readable) and a log-scale chart
        Path runs = new Path(source, "runs");
        if (fs.exists(runs)) {
            FileStatus[] dirs = fs.listStatus(runs);
            Arrays.sort(dirs);
            for (FileStatus sd : dirs) {
                String s = sd.getPath().getName();
                if (!(s.endsWith("-dynamic") || s.endsWith("-expand") || s.contains("-eta-"))) {
                    continue;
                }
                FileStatus[] seeds = fs.listStatus(sd.getPath());
                Arrays.sort(seeds);   // listing order is the file system's; the report lists seeds in order
                for (FileStatus seed : seeds) {
                    Path h = new Path(seed.getPath(), "weight-history.json");
                    if (fs.exists(h)) {
                        List<WeightRow> history = List.of(Json.read(conf, h.toString(), WeightRow[].class));
                        weightsChart(fs, root, s + " " + seed.getPath().getName(), history, charts);
                        weightsTable(s + " " + seed.getPath().getName(), history, body);
                    }
                }
            }
        }
    }

    /** Headers of a claim's cells (after the claim): each metric's verdict, then the items-only rule's beside it. */
    private static final String COMPARISON_HEADERS = "<th>score difference [95% interval]</th><th>verdict</th>"
            + "<th>items only (rule before 2026-12-07): score difference [95%], verdict</th>"
            + "<th>mean NLL change difference [95% interval]</th><th>verdict (lower NLL is better)</th>"
            + "<th>items only (rule before 2026-12-07): NLL change difference [95%], verdict</th>";

    private static String comparisonCells(ExperimentSummary.Comparison c) {
        return "<td>" + esc(c.claim()) + "</td><td>" + interval(c.scoreDifference()) + "</td><td>" + esc(String.valueOf(c.scoreVerdict()))
                + "</td><td>" + itemsOnly(c.scoreDifferenceItemsOnly(), c.scoreVerdictItemsOnly()) + "</td><td>"
                + interval(c.nllChangeDifference()) + "</td><td>" + esc(String.valueOf(c.nllVerdict())) + "</td><td>"
                + itemsOnly(c.nllChangeDifferenceItemsOnly(), c.nllVerdictItemsOnly()) + "</td>";
    }

    /** Summaries written before the rule changed hold only the items-only interval, as the main one. */
    private static String itemsOnly(ExperimentSummary.Interval i, String verdict) {
        return i == null ? "- (not recorded)" : interval(i) + " " + esc(String.valueOf(verdict));
    }

    private static String verdictWords(ExperimentSummary.Comparison c) {
        return switch (String.valueOf(c.scoreVerdict())) {
            case "better" -> c.a() + " scores higher than " + c.b();
            case "worse" -> c.a() + " scores lower than " + c.b();
            case ExperimentResults.ONE_SEED -> "undetermined: one seed has run, whose spread the interval cannot hold";
            default -> "no detectable difference";
        };
    }

    private static void weightsTable(String title, List<WeightRow> history, StringBuilder body) {
        Map<Integer, Map<String, Double>> byStage = new TreeMap<>();
        List<String> domains = new ArrayList<>();
        for (WeightRow r : history) {
            if (!domains.contains(r.domain())) {
                domains.add(r.domain());
            }
            byStage.computeIfAbsent(r.stage(), k -> new LinkedHashMap<>()).put(r.domain(), r.weight());
        }
        body.append("<h3>Weights per stage: ").append(esc(title)).append("</h3><table><tr><th>stage</th>");
        domains.forEach(d -> body.append("<th>").append(esc(d)).append("</th>"));
        body.append("</tr>");
        for (var e : byStage.entrySet()) {
            body.append("<tr><td>").append(e.getKey()).append("</td>");
            domains.forEach(d -> body.append("<td>").append(f(e.getValue().get(d))).append("</td>"));
            body.append("</tr>");
        }
        body.append("</table>");
    }

    private static CategoryChart chart(String title, String x, String y, int width, int height) {
        CategoryChart c = new CategoryChartBuilder().width(width).height(height).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setSeriesColors(PALETTE);
        return c;
    }

    /** The values of {@code keys} in order; a missing or null value (not measured) as NaN. */
    private static List<Double> values(Map<String, Double> m, List<String> keys) {
        List<Double> v = new ArrayList<>();
        keys.forEach(k -> v.add(m.get(k) == null ? Double.NaN : m.get(k)));
        return v;
    }

    private static String interval(ExperimentSummary.Interval i) {
        return i == null ? "-" : sf(i.estimate()) + " " + bracket(i);
    }

    private static String bracket(ExperimentSummary.Interval i) {
        return i == null ? "" : "[" + sf(i.low()) + ", " + sf(i.high()) + "]";
    }

    private static String sf(Double v) {
        return v != null && Double.isFinite(v) ? String.format(Locale.ROOT, "%+.4f", v) : "-";
    }

    private static void singleRunSections(Configuration conf, FileSystem fs, Path root, RunSummary summary,
                                          List<String[]> charts, StringBuilder body) throws IOException {
        Path h = new Path(root, "weight-history.json");
        if (fs.exists(h)) {
            weightsChart(fs, root, String.valueOf(summary.strategy()), List.of(Json.read(conf, h.toString(), WeightRow[].class)), charts);
        }
        Map<String, DomainEval> base = summary.baseEval().domains();
        Map<String, DomainEval> fin = summary.finalEval().domains();
        List<String> domains = new ArrayList<>(fin.keySet());
        List<Double> b = new ArrayList<>();
        List<Double> a = new ArrayList<>();
        body.append("<h2>Per-domain evaluation</h2><table><tr><th>domain</th><th>base NLL</th><th>final NLL</th><th>base score</th>")
                .append("<th>final score</th><th>final MC accuracy</th></tr>");
        for (String d : domains) {
            DomainEval bd = base.get(d);
            DomainEval fd = fin.get(d);
            b.add(bd.score());
            a.add(fd.score());
            body.append("<tr><td>").append(esc(d)).append("</td><td>").append(f(bd.meanNll())).append("</td><td>")
                    .append(f(fd.meanNll())).append("</td><td>").append(f(bd.score())).append("</td><td>")
                    .append(f(fd.score())).append("</td><td>").append(f(fd.mcAccuracy())).append("</td></tr>");
        }
        body.append("</table>");
        CategoryChart c = new CategoryChartBuilder().width(900).height(400).title("Per-domain score: base vs after training")
                .xAxisTitle("domain").yAxisTitle("score = 100 exp(-NLL)").build();
        c.addSeries("base", domains, b);
        c.addSeries("after " + summary.stages() + " stages", domains, a);
        save(fs, root, "scores.png", "Per-domain scores", c, charts);
    }

    private static void distributionChart(FileSystem fs, Path root, Probed dist, Map<String, Double> truth,
                                          List<String[]> charts) throws IOException {
        List<String> names = new ArrayList<>(dist.domains().keySet());
        List<Double> raw = new ArrayList<>();
        List<Double> rawErr = new ArrayList<>();
        List<Double> cor = new ArrayList<>();
        List<Double> corErr = new ArrayList<>();
        for (String d : names) {
            ProbedShare m = dist.domains().get(d);
            raw.add(m.raw());
            rawErr.add((m.high() - m.low()) / 2);
            cor.add(m.corrected());
            corErr.add((m.correctedHigh() - m.correctedLow()) / 2);
        }
        CategoryChart c = chart("Probed knowledge distribution (95% intervals)", "domain", "share", 900, 400);
        // the caption says which estimate the strategies' weights came from
        String method = "estimate (" + (dist.estimator() == null ? "corrected" : dist.estimator()) + ")";
        c.addSeries("raw", names, raw, rawErr);
        c.addSeries(method, names, cor, corErr);
        if (truth != null) {
            c.addSeries("true mix", names, values(truth, names));
        }
        save(fs, root, "distribution.png", "Probed distribution: raw label shares and " + method + " shares (the weights)", c, charts);
    }

    private static void weightsChart(FileSystem fs, Path root, String title, List<WeightRow> history,
                                     List<String[]> charts) throws IOException {
        Map<String, List<double[]>> byDomain = new LinkedHashMap<>();
        for (WeightRow r : history) {
            byDomain.computeIfAbsent(r.domain(), k -> new ArrayList<>()).add(new double[]{r.stage(), r.weight()});
        }
        XYChart c = new XYChartBuilder().width(900).height(400).title("Weights per stage: " + title).xAxisTitle("stage")
                .yAxisTitle("weight").build();
        c.getStyler().setSeriesColors(PALETTE);
        // on a log scale a weight of 0.01 stays visible beside one of 0.5; a weight of 0 cannot be drawn on one
        boolean positive = history.stream().allMatch(r -> r.weight() > 0);
        c.getStyler().setYAxisLogarithmic(positive);
        for (var e : byDomain.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(v -> v[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(v -> v[1]).toArray();
            c.addSeries(e.getKey(), x, y);
        }
        String file = "weights-" + title.replaceAll("[^A-Za-z0-9-]+", "_") + ".png";
        save(fs, root, file, "Weights per stage: " + title, c, charts);
    }

    private static void save(FileSystem fs, Path root, String file, String title, Chart<?, ?> chart, List<String[]> charts) throws IOException {
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        try (FSDataOutputStream out = fs.create(new Path(new Path(root, DIR), file), true)) {
            out.write(png);
        }
        charts.add(new String[]{file, title});
    }

    private static byte[] readBytes(FileSystem fs, Path p) throws IOException {
        try (var in = fs.open(p)) {
            return in.readAllBytes();
        }
    }

    private static String f(Double v) {
        return v != null && Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "-";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
