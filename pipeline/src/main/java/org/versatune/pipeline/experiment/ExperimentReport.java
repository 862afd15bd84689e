package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
            StringBuilder body = new StringBuilder();
            List<String[]> charts = new ArrayList<>();
            if (singleRun) {
                singleRunSections(conf, fs, root, summary, charts, body);
            } else {
                experimentSections(conf, fs, root, summary, charts, body);
            }
            StringBuilder html = new StringBuilder();
            html.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>VersaTune report</title><style>")
                    .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
                    .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                    .append("th:first-child,td:first-child{text-align:left}img{max-width:100%;border:1px solid #eee}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}")
                    .append("</style></head><body><h1>VersaTune report</h1><p>").append(esc(folder)).append("</p>");
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

    @SuppressWarnings("unchecked")
    private static void experimentSections(Configuration conf, FileSystem fs, Path root, Map<String, Object> summary,
                                           List<String[]> charts, StringBuilder body) throws IOException {
        Path dist = new Path(root, "probe/distribution.json");
        if (fs.exists(dist)) {
            distributionChart(fs, root, Json.readMap(conf, dist.toString()), charts);
        }
        Map<String, Object> strategies = (Map<String, Object>) summary.get("strategies");
        // weights per stage for the dynamic runs
        Path runs = new Path(root, "runs");
        for (String s : List.of("versatune-dynamic", "versatune-expand")) {
            Path sd = new Path(runs, s);
            if (!fs.exists(sd)) {
                continue;
            }
            FileStatus[] seeds = fs.listStatus(sd);
            java.util.Arrays.sort(seeds);   // listing order is the file system's; the report lists seeds in order
            for (FileStatus seed : seeds) {
                Path h = new Path(seed.getPath(), "weight-history.json");
                if (fs.exists(h)) {
                    weightsChart(fs, root, s + " " + seed.getPath().getName(), readList(conf, h), charts);
                }
            }
        }
        // per-domain scores per strategy
        CategoryChart c = new CategoryChartBuilder().width(1000).height(450).title("Per-domain score (mean over seeds)")
                .xAxisTitle("domain").yAxisTitle("score = 100 exp(-NLL)").build();
        List<String> domains = null;
        for (var e : strategies.entrySet()) {
            Map<String, Double> dm = (Map<String, Double>) ((Map<String, Object>) e.getValue()).get("domain_score_mean");
            domains = new ArrayList<>(dm.keySet());
            c.addSeries(e.getKey(), domains, new ArrayList<>(dm.values()));
        }
        save(fs, root, "scores.png", "Per-domain scores per strategy", c, charts);
        // summary table
        body.append("<h2>Strategies (comprehensive score across seeds)</h2><table><tr><th>strategy</th><th>mean</th><th>std</th>")
                .append("<th>rel. improvement over uniform</th><th>seeds better than uniform</th><th>mean MC accuracy</th></tr>");
        for (var e : strategies.entrySet()) {
            Map<String, Object> s = (Map<String, Object>) e.getValue();
            body.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(f(s.get("comprehensive_score_mean")))
                    .append("</td><td>").append(f(s.get("comprehensive_score_std"))).append("</td><td>")
                    .append(s.containsKey("relative_improvement_over_uniform_mean") ? pct(s.get("relative_improvement_over_uniform_mean"))
                            + " &plusmn; " + pct(s.get("relative_improvement_over_uniform_std")) : "-")
                    .append("</td><td>").append(s.getOrDefault("seeds_better_than_uniform", "-")).append("</td><td>")
                    .append(f(s.get("mc_accuracy_mean"))).append("</td></tr>");
        }
        body.append("</table><p>Base model comprehensive score: ").append(f(summary.get("base_comprehensive_score")))
                .append(". Direction checks: ").append(esc(String.valueOf(summary.get("direction")))).append("</p>");
        if (summary.get("expansion") instanceof Map<?, ?> ex) {
            CategoryChart g = new CategoryChartBuilder().width(800).height(400).title("Domain expansion: target gain and degradation of the others")
                    .xAxisTitle("strategy").yAxisTitle("score change").build();
            List<String> names = new ArrayList<>();
            List<Double> gains = new ArrayList<>();
            List<Double> degs = new ArrayList<>();
            body.append("<h2>Domain expansion (target ").append(esc(String.valueOf(ex.get("target")))).append(")</h2><table><tr><th>strategy</th>")
                    .append("<th>target gain</th><th>degradation (sum over others)</th><th>reduction vs specific</th><th>gain kept vs specific</th></tr>");
            for (var e : ex.entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    continue;
                }
                names.add((String) e.getKey());
                gains.add((Double) m.get("target_gain_mean"));
                degs.add((Double) m.get("degradation_mean"));
                body.append("<tr><td>").append(esc((String) e.getKey())).append("</td><td>").append(f(m.get("target_gain_mean")))
                        .append(" &plusmn; ").append(f(m.get("target_gain_std"))).append("</td><td>").append(f(m.get("degradation_mean")))
                        .append(" &plusmn; ").append(f(m.get("degradation_std"))).append("</td><td>")
                        .append(pct(m.get("reduction_of_degradation_vs_specific_mean"))).append("</td><td>")
                        .append(pct(m.get("target_gain_kept_vs_specific_mean"))).append("</td></tr>");
            }
            body.append("</table>");
            g.addSeries("target gain", names, gains);
            g.addSeries("degradation", names, degs);
            save(fs, root, "expansion.png", "Expansion gains and losses", g, charts);
        }
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
    private static void distributionChart(FileSystem fs, Path root, Map<String, Object> dist, List<String[]> charts) throws IOException {
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
        CategoryChart c = new CategoryChartBuilder().width(900).height(400).title("Probed knowledge distribution (95% intervals)")
                .xAxisTitle("domain").yAxisTitle("share").build();
        // the caption says which correction the strategies' weights came from
        String correction = String.valueOf(dist.get("correction"));
        String method = correction.startsWith("calibrated") ? "calibrated"
                : correction.startsWith("none") ? "corrected (none)" : "confusion-corrected";
        c.addSeries("raw", names, raw, rawErr);
        c.addSeries(method, names, cor, corErr);
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
