package org.versatune.pipeline.experiment;

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
            Map<String, Object> summary = Json.readMap(conf, new Path(root, "summary.json").toString());
            boolean singleRun = summary.containsKey("final_eval");
            Path dir = new Path(root, DIR);
            fs.mkdirs(dir);
            StringBuilder first = new StringBuilder();
            StringBuilder body = new StringBuilder();
            List<String[]> charts = new ArrayList<>();
            if (singleRun) {
                singleRunSections(conf, fs, root, summary, charts, body);
            } else {
                experimentSections(conf, fs, root, source, summary, charts, first, body);
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

    /**
     * An experiment's page leads with the answer: the verdict of every claim with its interval, the strategies'
     * table and the probed mix against the true one; charts and per-run details follow.
     */
    @SuppressWarnings("unchecked")
    private static void experimentSections(Configuration conf, FileSystem fs, Path root, Path source, Map<String, Object> summary,
                                           List<String[]> charts, StringBuilder first, StringBuilder body) throws IOException {
        Map<String, Object> strategies = (Map<String, Object>) summary.get("strategies");
        Map<String, Object> base = (Map<String, Object>) summary.get("base");
        List<Map<String, Object>> claims = (List<Map<String, Object>>) summary.getOrDefault("claims", List.of());
        List<String> domains = new ArrayList<>(((Map<String, Object>) base.get("domain_score")).keySet());

        // the answer, in words, then as a table
        first.append("<h2>Answer</h2><p id=\"answer\">");
        if (claims.isEmpty()) {
            first.append("No claim could be tested: the strategies it compares did not both run.");
        }
        for (Map<String, Object> c : claims) {
            Map<String, Object> d = (Map<String, Object>) c.get("score_difference");
            first.append("<b>").append(esc((String) c.get("a"))).append(" vs ").append(esc((String) c.get("b"))).append("</b>: ")
                    .append(esc(verdictWords(c))).append(" (score difference ").append(sf(d.get("estimate"))).append(", 95% interval ")
                    .append(sf(d.get("low"))).append(" to ").append(sf(d.get("high"))).append(c.get("metrics_agree") == Boolean.TRUE
                            ? "; the NLL metric agrees). " : "; the NLL metric says: " + esc((String) c.get("nll_verdict")) + "). ");
        }
        first.append("</p><p>Rule: ").append(esc(String.valueOf(summary.get("verdict_rule")))).append(". Test set: ")
                .append(esc(String.valueOf(base.get("test_records")))).append(" SFT records and ")
                .append(esc(String.valueOf(base.get("mc_items")))).append(" multiple-choice items per domain.</p>");
        first.append("<table id=\"verdicts\"><tr><th>claim</th><th>score difference [95% interval]</th><th>verdict</th>")
                .append("<th>mean NLL change difference [95% interval]</th><th>verdict (lower NLL is better)</th><th>metrics agree</th>")
                .append("<th>seeds A better</th></tr>");
        for (Map<String, Object> c : claims) {
            first.append("<tr><td>").append(esc((String) c.get("claim"))).append("</td><td>").append(interval(c.get("score_difference")))
                    .append("</td><td>").append(esc((String) c.get("score_verdict"))).append("</td><td>")
                    .append(interval(c.get("nll_change_difference"))).append("</td><td>").append(esc((String) c.get("nll_verdict")))
                    .append("</td><td>").append(c.get("metrics_agree") == Boolean.TRUE ? "yes" : "no").append("</td><td>")
                    .append(esc(String.valueOf(c.get("seeds_a_better")))).append("</td></tr>");
        }
        first.append("</table>");
        first.append("<table id=\"strategies\"><tr><th>strategy</th><th>comprehensive score [95% interval]</th><th>mean NLL change</th>")
                .append("<th>vs uniform [95% interval]</th><th>seeds better than uniform</th><th>MC accuracy</th></tr>");
        first.append("<tr><td>base model</td><td>").append(f(base.get("comprehensive_score"))).append("</td><td>0</td><td>-</td><td>-</td><td>")
                .append(f(base.get("mc_accuracy"))).append(" (chance ").append(f(base.get("mc_chance"))).append(")</td></tr>");
        for (var e : strategies.entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            Map<String, Object> vs = (Map<String, Object>) m.get("vs_uniform");
            first.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(f(m.get("comprehensive_score_mean"))).append(" ")
                    .append(bracket(m.get("comprehensive_score_interval"))).append("</td><td>").append(sf(m.get("mean_nll_change")))
                    .append("</td><td>").append(vs == null ? "-" : interval(vs.get("score_difference"))).append("</td><td>")
                    .append(vs == null ? "-" : esc(String.valueOf(vs.get("seeds_a_better")))).append("</td><td>")
                    .append(f(m.get("mc_accuracy_mean"))).append("</td></tr>");
        }
        first.append("</table>");
        Path dist = new Path(source, "probe/distribution.json");
        Path oracle = new Path(source, "oracle-weights.json");
        if (fs.exists(dist)) {
            Map<String, Object> dm = Json.readMap(conf, dist.toString());
            Map<String, Object> truth = fs.exists(oracle) ? (Map<String, Object>) Json.readMap(conf, oracle.toString()).get("weights") : null;
            first.append("<h2>Probed mix against the base's true pretraining mix</h2><table id=\"mix\"><tr><th>domain</th><th>true share</th>")
                    .append("<th>probed (").append(esc(String.valueOf(dm.get("estimator")))).append(") [95% interval]</th><th>raw label share</th></tr>");
            Map<String, Object> per = (Map<String, Object>) dm.get("domains");
            double[] probed = new double[domains.size()];
            double[] trueMix = new double[domains.size()];
            for (String d : domains) {
                Map<String, Object> p = (Map<String, Object>) per.get(d);
                Object tr = truth == null ? null : truth.get(d);
                probed[domains.indexOf(d)] = ((Number) p.get("corrected")).doubleValue();
                trueMix[domains.indexOf(d)] = tr instanceof Number n ? n.doubleValue() : 0;
                first.append("<tr><td>").append(esc(d)).append("</td><td>").append(f(tr)).append("</td><td>").append(f(p.get("corrected")))
                        .append(" [").append(f(p.get("corrected_low"))).append(", ").append(f(p.get("corrected_high"))).append("]</td><td>")
                        .append(f(p.get("raw"))).append("</td></tr>");
            }
            // both as shares summing to 1: a distance between mixes, whatever rounding the files carry
            first.append("</table><p>Total variation between the probed and the true mix: ").append(truth == null ? "- (no true mix recorded)"
                    : f(DomainDistribution.totalVariation(DomainDistribution.normalise(probed), DomainDistribution.normalise(trueMix))))
                    .append("; the probe's verdict: ").append(esc(String.valueOf(((Map<String, Object>) dm.getOrDefault("trust", Map.of())).get("verdict"))))
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
            Map<String, Object> m = (Map<String, Object>) strategies.get(n);
            Map<String, Object> iv = (Map<String, Object>) m.get("comprehensive_score_interval");
            y.add(num(m.get("comprehensive_score_mean")));
            err.add((num(iv.get("high")) - num(iv.get("low"))) / 2);
        }
        sc.addSeries("strategies", names, y, err);
        sc.getStyler().setLegendVisible(false);
        sc.getStyler().setYAxisMin(Math.max(0, y.stream().mapToDouble(v -> v).min().orElse(0) - 4 * err.stream().mapToDouble(v -> v).max().orElse(1)));
        save(fs, root, "scores.png", "Comprehensive score per strategy with 95% intervals", sc, charts);

        CategoryChart pd = chart("Per-domain score (mean over seeds) with the base model", "domain", "score = 100 exp(-NLL)", 1100, 450);
        pd.addSeries("base model", domains, values((Map<String, Object>) base.get("domain_score"), domains));
        for (String n : names) {
            pd.addSeries(n, domains, values((Map<String, Object>) ((Map<String, Object>) strategies.get(n)).get("domain_score_mean"), domains));
        }
        save(fs, root, "domain-scores.png", "Per-domain scores per strategy, base model first", pd, charts);

        CategoryChart mc = chart("Multiple-choice accuracy (mean over domains and seeds) and the accuracy of guessing", "strategy",
                "accuracy", 1000, 420);
        List<String> mcNames = new ArrayList<>(List.of("base model"));
        mcNames.addAll(names);
        List<Double> acc = new ArrayList<>(List.of(num(base.get("mc_accuracy"))));
        names.forEach(n -> acc.add(num(((Map<String, Object>) strategies.get(n)).get("mc_accuracy_mean"))));
        if (acc.stream().noneMatch(v -> Double.isNaN(v))) {
            mc.addSeries("accuracy", mcNames, acc);
            List<Double> chance = new ArrayList<>();
            mcNames.forEach(n -> chance.add(num(base.get("mc_chance"))));
            mc.addSeries("chance", mcNames, chance).setChartCategorySeriesRenderStyle(CategorySeriesRenderStyle.Line);
            save(fs, root, "mc-accuracy.png", "Multiple-choice accuracy with the chance line", mc, charts);
        }

        if (summary.get("expansion") instanceof Map<?, ?> ex) {
            CategoryChart g = chart("Domain expansion (target " + ex.get("target") + "): score change of every domain from the base",
                    "domain", "score change", 1000, 420);
            body.append("<h2>Domain expansion (target ").append(esc(String.valueOf(ex.get("target")))).append(")</h2><table><tr><th>strategy</th>")
                    .append("<th>target gain</th><th>degradation of the others</th><th>target gain kept vs specific [95%]</th>")
                    .append("<th>reduction of degradation vs specific [95%]</th><th>verdicts</th></tr>");
            for (var e : ex.entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    continue;
                }
                g.addSeries((String) e.getKey(), domains, values((Map<String, Object>) m.get("domain_score_change_mean"), domains));
                body.append("<tr><td>").append(esc((String) e.getKey())).append("</td><td>").append(sf(m.get("target_gain_mean")))
                        .append("</td><td>").append(sf(m.get("degradation_mean"))).append("</td><td>")
                        .append(m.containsKey("target_gain_kept_vs_specific") ? interval(m.get("target_gain_kept_vs_specific")) : "-")
                        .append("</td><td>").append(m.containsKey("reduction_of_degradation_vs_specific")
                                ? interval(m.get("reduction_of_degradation_vs_specific")) : "-").append("</td><td>")
                        .append(m.containsKey("gain_kept_verdict") ? esc(m.get("gain_kept_verdict") + "; " + m.get("reduction_verdict")) : "-")
                        .append("</td></tr>");
            }
            body.append("</table>");
            save(fs, root, "expansion.png", "Expansion: every domain's score change (target and the others)", g, charts);
        }
        List<Map<String, Object>> sens = (List<Map<String, Object>>) summary.getOrDefault("sensitivity", List.of());
        if (!sens.isEmpty()) {
            body.append("<h2>Sensitivity of the dynamic update (step size eta)</h2><table><tr><th>claim</th><th>score difference [95%]</th>")
                    .append("<th>verdict</th><th>NLL change difference [95%]</th><th>verdict</th></tr>");
            for (Map<String, Object> c : sens) {
                body.append("<tr><td>").append(esc((String) c.get("claim"))).append("</td><td>").append(interval(c.get("score_difference")))
                        .append("</td><td>").append(esc((String) c.get("score_verdict"))).append("</td><td>")
                        .append(interval(c.get("nll_change_difference"))).append("</td><td>").append(esc((String) c.get("nll_verdict")))
                        .append("</td></tr>");
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
                        List<Map<String, Object>> history = readList(conf, h);
                        weightsChart(fs, root, s + " " + seed.getPath().getName(), history, charts);
                        weightsTable(s + " " + seed.getPath().getName(), history, body);
                    }
                }
            }
        }
    }

    private static String verdictWords(Map<String, Object> c) {
        return switch (String.valueOf(c.get("score_verdict"))) {
            case "better" -> c.get("a") + " scores higher than " + c.get("b");
            case "worse" -> c.get("a") + " scores lower than " + c.get("b");
            default -> "no detectable difference";
        };
    }

    @SuppressWarnings("unchecked")
    private static void weightsTable(String title, List<Map<String, Object>> history, StringBuilder body) {
        Map<Integer, Map<String, Object>> byStage = new TreeMap<>();
        List<String> domains = new ArrayList<>();
        for (Map<String, Object> r : history) {
            String d = (String) r.get("domain");
            if (!domains.contains(d)) {
                domains.add(d);
            }
            byStage.computeIfAbsent(((Number) r.get("stage")).intValue(), k -> new LinkedHashMap<>()).put(d, r.get("weight"));
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

    private static List<Double> values(Map<String, Object> m, List<String> keys) {
        List<Double> v = new ArrayList<>();
        keys.forEach(k -> v.add(num(m.get(k))));
        return v;
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String interval(Object o) {
        if (!(o instanceof Map<?, ?> m)) {
            return "-";
        }
        return sf(m.get("estimate")) + " " + bracket(m);
    }

    private static String bracket(Object o) {
        return o instanceof Map<?, ?> m ? "[" + sf(m.get("low")) + ", " + sf(m.get("high")) + "]" : "";
    }

    private static String sf(Object v) {
        return v instanceof Number n && Double.isFinite(n.doubleValue()) ? String.format(Locale.ROOT, "%+.4f", n.doubleValue()) : "-";
    }

    @SuppressWarnings("unchecked")
    private static void singleRunSections(Configuration conf, FileSystem fs, Path root, Map<String, Object> summary,
                                          List<String[]> charts, StringBuilder body) throws IOException {
        Path h = new Path(root, "weight-history.json");
        if (fs.exists(h)) {
            weightsChart(fs, root, String.valueOf(summary.get("strategy")), readList(conf, h), charts);
        }
        Map<String, Object> base = (Map<String, Object>) ((Map<String, Object>) summary.get("base_eval")).get("domains");
        Map<String, Object> fin = (Map<String, Object>) ((Map<String, Object>) summary.get("final_eval")).get("domains");
        List<String> domains = new ArrayList<>(fin.keySet());
        List<Double> b = new ArrayList<>();
        List<Double> a = new ArrayList<>();
        body.append("<h2>Per-domain evaluation</h2><table><tr><th>domain</th><th>base NLL</th><th>final NLL</th><th>base score</th>")
                .append("<th>final score</th><th>final MC accuracy</th></tr>");
        for (String d : domains) {
            Map<String, Object> bd = (Map<String, Object>) base.get(d);
            Map<String, Object> fd = (Map<String, Object>) fin.get(d);
            b.add(((Number) bd.get("score")).doubleValue());
            a.add(((Number) fd.get("score")).doubleValue());
            body.append("<tr><td>").append(esc(d)).append("</td><td>").append(f(bd.get("mean_nll"))).append("</td><td>")
                    .append(f(fd.get("mean_nll"))).append("</td><td>").append(f(bd.get("score"))).append("</td><td>")
                    .append(f(fd.get("score"))).append("</td><td>").append(f(fd.get("mc_accuracy"))).append("</td></tr>");
        }
        body.append("</table>");
        CategoryChart c = new CategoryChartBuilder().width(900).height(400).title("Per-domain score: base vs after training")
                .xAxisTitle("domain").yAxisTitle("score = 100 exp(-NLL)").build();
        c.addSeries("base", domains, b);
        c.addSeries("after " + summary.get("stages") + " stages", domains, a);
        save(fs, root, "scores.png", "Per-domain scores", c, charts);
    }

    @SuppressWarnings("unchecked")
    private static void distributionChart(FileSystem fs, Path root, Map<String, Object> dist, Map<String, Object> truth,
                                          List<String[]> charts) throws IOException {
        Map<String, Object> per = (Map<String, Object>) dist.get("domains");
        List<String> names = new ArrayList<>(per.keySet());
        List<Double> raw = new ArrayList<>();
        List<Double> rawErr = new ArrayList<>();
        List<Double> cor = new ArrayList<>();
        List<Double> corErr = new ArrayList<>();
        for (String d : names) {
            Map<String, Object> m = (Map<String, Object>) per.get(d);
            raw.add(((Number) m.get("raw")).doubleValue());
            rawErr.add((((Number) m.get("high")).doubleValue() - ((Number) m.get("low")).doubleValue()) / 2);
            cor.add(((Number) m.get("corrected")).doubleValue());
            corErr.add((((Number) m.get("corrected_high")).doubleValue() - ((Number) m.get("corrected_low")).doubleValue()) / 2);
        }
        CategoryChart c = chart("Probed knowledge distribution (95% intervals)", "domain", "share", 900, 400);
        // the caption says which estimate the strategies' weights came from
        String method = "estimate (" + dist.getOrDefault("estimator", "corrected") + ")";
        c.addSeries("raw", names, raw, rawErr);
        c.addSeries(method, names, cor, corErr);
        if (truth != null) {
            c.addSeries("true mix", names, values(truth, names));
        }
        save(fs, root, "distribution.png", "Probed distribution: raw label shares and " + method + " shares (the weights)", c, charts);
    }

    private static void weightsChart(FileSystem fs, Path root, String title, List<Map<String, Object>> history,
                                     List<String[]> charts) throws IOException {
        Map<String, List<double[]>> byDomain = new LinkedHashMap<>();
        for (Map<String, Object> r : history) {
            byDomain.computeIfAbsent((String) r.get("domain"), k -> new ArrayList<>())
                    .add(new double[]{((Number) r.get("stage")).doubleValue(), ((Number) r.get("weight")).doubleValue()});
        }
        XYChart c = new XYChartBuilder().width(900).height(400).title("Weights per stage: " + title).xAxisTitle("stage")
                .yAxisTitle("weight").build();
        c.getStyler().setSeriesColors(PALETTE);
        // on a log scale a weight of 0.01 stays visible beside one of 0.5; a weight of 0 cannot be drawn on one
        boolean positive = history.stream().allMatch(r -> ((Number) r.get("weight")).doubleValue() > 0);
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

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> readList(Configuration conf, Path p) throws IOException {
        return Json.MAPPER.readValue(Json.readText(conf, p.toString()), List.class);
    }

    private static String f(Object v) {
        return v instanceof Number n && Double.isFinite(n.doubleValue()) ? String.format(Locale.ROOT, "%.4f", n.doubleValue()) : "-";
    }

    private static String pct(Object v) {
        return v instanceof Number n && Double.isFinite(n.doubleValue()) ? String.format(Locale.ROOT, "%+.2f%%", 100 * n.doubleValue()) : "-";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
