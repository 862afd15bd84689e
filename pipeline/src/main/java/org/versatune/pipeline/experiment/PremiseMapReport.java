package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The premise map's files: {@code map.json}, one figure per axis ({@code map-AXIS.png}: each claim's score difference
 * with its interval against the axis, the fitted lines dashed) and {@code index.html} with the tables and figures.
 */
public final class PremiseMapReport {
    public static final String JSON = "map.json";

    private PremiseMapReport() {
    }

    /** Writes the map's files into {@code dir}; refuses to replace an earlier map unless {@code overwrite}. */
    public static String write(Configuration conf, PremiseMap map, String dir, boolean overwrite) {
        System.setProperty("java.awt.headless", "true");
        // nothing of an earlier map (or of any report kept in that folder) is replaced unless asked to
        OutputFiles.requireAbsent(conf, new Path(dir, JSON).toString(), overwrite);
        OutputFiles.requireAbsent(conf, new Path(dir, "index.html").toString(), overwrite);
        for (PremiseMap.Axis axis : map.axes()) {
            OutputFiles.requireAbsent(conf, new Path(dir, "map-" + axis.name() + ".png").toString(), overwrite);
        }
        try {
            Path root = new Path(dir);
            FileSystem fs = root.getFileSystem(conf);
            fs.mkdirs(root);
            StringBuilder html = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>VersaTune premise map</title>")
                    .append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
                    .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                    .append("th:first-child,td:first-child{text-align:left}img{max-width:100%}</style></head><body>")
                    .append("<h1>Where the premise holds</h1><p>Score difference (comprehensive score, A minus B) with its 95% ")
                    .append("interval over test items and training seeds; verdict by the interval.</p>");
            for (PremiseMap.Axis axis : map.axes()) {
                String file = "map-" + axis.name() + ".png";
                byte[] png = BitmapEncoder.getBitmapBytes(chart(axis), BitmapEncoder.BitmapFormat.PNG);
                try (FSDataOutputStream out = fs.create(new Path(root, file), true)) {
                    out.write(png);
                }
                html.append("<h2>Axis: ").append(axis.name()).append("</h2>").append(pointsTable(axis)).append(trendsTable(axis))
                        .append("<img alt=\"").append(axis.name()).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(png)).append("\">");
            }
            html.append("<h2>Method</h2><p>").append(ExperimentReport.esc(map.method())).append("</p></body></html>\n");
            Json.writeText(conf, new Path(root, "index.html").toString(), html.toString());
            OutputFiles.writeJson(conf, new Path(root, JSON).toString(), map, true);
            return new Path(root, "index.html").toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the premise map into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A Markdown table of every axis's points and claims (the README's). */
    public static String markdown(PremiseMap map) {
        StringBuilder md = new StringBuilder();
        for (PremiseMap.Axis axis : map.axes()) {
            List<String> claims = claims(axis);
            md.append("| ").append(axis.name()).append(" point | SFT / pretraining tokens | base parameters | tokens / parameter |");
            claims.forEach(c -> md.append(' ').append(c).append(" |"));
            md.append("\n|---|---|---|---|").append("---|".repeat(claims.size())).append('\n');
            for (PremiseMap.Point p : axis.points()) {
                md.append("| ").append(new Path(p.folder()).getName()).append(" | ")
                        .append(String.format(Locale.ROOT, "%.2f%%", 100 * p.sftRatio())).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", p.baseParameters())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f", p.tokensPerParameter())).append(" |");
                Map<String, ExperimentSummary.Comparison> by = byClaim(p);
                claims.forEach(c -> md.append(' ').append(cell(by.get(c))).append(" |"));
                md.append('\n');
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static XYChart chart(PremiseMap.Axis axis) {
        XYChart c = new XYChartBuilder().width(900).height(480).title("Score difference against the " + axis.name() + " (95% intervals)")
                .xAxisTitle(axis.x()).yAxisTitle("score difference (A - B)").build();
        c.getStyler().setSeriesColors(ExperimentReport.PALETTE);
        List<String> claims = claims(axis);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (PremiseMap.Point p : axis.points()) {
            double x = x(axis, p);
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        // a margin on either side (a single point's axis has no width of its own), and the claims side by side at
        // each point so that intervals of similar claims do not hide one another
        double pad = Math.max(0.1 * (hi - lo), 0.15);
        c.getStyler().setXAxisMin(lo - pad);
        c.getStyler().setXAxisMax(hi + pad);
        double dodge = (hi - lo + 2 * pad) * 0.01;
        for (int k = 0; k < claims.size(); k++) {
            String claim = claims.get(k);
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>(), err = new ArrayList<>();
            for (PremiseMap.Point p : axis.points()) {
                ExperimentSummary.Comparison cmp = byClaim(p).get(claim);
                if (cmp != null) {
                    ExperimentSummary.Interval i = cmp.scoreDifference();
                    xs.add(x(axis, p) + (k - (claims.size() - 1) / 2.0) * dodge);
                    ys.add(i.estimate());
                    err.add((i.high() - i.low()) / 2);
                }
            }
            XYSeries s = c.addSeries(claim, xs, ys, err);
            s.setLineStyle(SeriesLines.NONE);
        }
        for (int k = 0; k < axis.trends().size(); k++) {
            PremiseMap.Trend t = axis.trends().get(k);
            if (t.points() < 3) {
                continue;   // two points always lie on a line: drawing it would suggest a trend that is not read
            }
            XYSeries line = c.addSeries(t.claim() + ": fit", new double[]{lo, hi},
                    new double[]{t.intercept() + t.slope() * lo, t.intercept() + t.slope() * hi});
            line.setMarker(SeriesMarkers.NONE);
            line.setLineStyle(SeriesLines.DASH_DASH);
            line.setLineColor(ExperimentReport.PALETTE[claims.indexOf(t.claim()) % ExperimentReport.PALETTE.length]);
        }
        XYSeries zero = c.addSeries("no difference", new double[]{lo - pad, hi + pad}, new double[]{0, 0});
        zero.setMarker(SeriesMarkers.NONE);
        zero.setLineColor(ExperimentReport.PALETTE[ExperimentReport.PALETTE.length - 1]);
        return c;
    }

    private static double x(PremiseMap.Axis axis, PremiseMap.Point p) {
        return PremiseMap.Kind.of(axis.name()).x(p);
    }

    private static String pointsTable(PremiseMap.Axis axis) {
        List<String> claims = claims(axis);
        StringBuilder t = new StringBuilder("<table><tr><th>point</th><th>records per stage</th><th>SFT tokens (runs)</th>")
                .append("<th>pretraining tokens</th><th>SFT / pretraining</th><th>base parameters</th><th>tokens / parameter</th>");
        claims.forEach(c -> t.append("<th>").append(ExperimentReport.esc(c)).append("</th>"));
        t.append("</tr>");
        for (PremiseMap.Point p : axis.points()) {
            t.append("<tr><td>").append(ExperimentReport.esc(p.folder())).append("</td><td>").append(p.stageSize())
                    .append("</td><td>").append(String.format(Locale.ROOT, "%,.0f (%d)", p.sftTokens(), p.runsWithTokens()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%,d", p.baseTokens()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.2f%%", 100 * p.sftRatio()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%,d", p.baseParameters()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.1f", p.tokensPerParameter())).append("</td>");
            Map<String, ExperimentSummary.Comparison> by = byClaim(p);
            claims.forEach(c -> t.append("<td>").append(ExperimentReport.esc(cell(by.get(c)))).append("</td>"));
            t.append("</tr>");
        }
        return t.append("</table>").toString();
    }

    private static String trendsTable(PremiseMap.Axis axis) {
        StringBuilder t = new StringBuilder("<table><tr><th>claim</th><th>points</th><th>slope [95%]</th><th>chi^2</th>")
                .append("<th>trend</th><th>zero crossing, ").append(ExperimentReport.esc(axis.x())).append(" [95%]</th></tr>");
        for (PremiseMap.Trend tr : axis.trends()) {
            t.append("<tr><td>").append(ExperimentReport.esc(tr.claim())).append("</td><td>").append(tr.points()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%+.4f [%+.4f, %+.4f]", tr.slope(), tr.slopeLow(), tr.slopeHigh()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.2f", tr.chiSquare())).append("</td><td>")
                    .append(tr.trend() ? "yes" : tr.points() < 3 ? "not read (under 3 points)" : "none (slope's interval holds 0)")
                    .append("</td><td>");
            if (tr.trend()) {
                t.append(String.format(Locale.ROOT, "%.2f [%.2f, %.2f]", tr.crossingX(), tr.crossingLow(), tr.crossingHigh()))
                        .append(tr.extrapolation() ? " (extrapolation)" : "");
            } else {
                t.append('-');
            }
            t.append("</td></tr>");
        }
        return t.append("</table>").toString();
    }

    private static String cell(ExperimentSummary.Comparison c) {
        if (c == null) {
            return "-";
        }
        ExperimentSummary.Interval i = c.scoreDifference();
        return String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f] %s (%d seeds)", i.estimate(), i.low(), i.high(), c.scoreVerdict(), c.seeds());
    }

    private static List<String> claims(PremiseMap.Axis axis) {
        List<String> out = new ArrayList<>();
        axis.points().forEach(p -> p.claims().forEach(c -> {
            if (!out.contains(c.claim())) {
                out.add(c.claim());
            }
        }));
        return out;
    }

    private static Map<String, ExperimentSummary.Comparison> byClaim(PremiseMap.Point p) {
        Map<String, ExperimentSummary.Comparison> m = new LinkedHashMap<>();
        p.claims().forEach(c -> m.put(c.claim(), c));
        return m;
    }
}
