package org.versatune.pipeline.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The premise map (bench/premise-map.md): experiment points along an axis (the SFT budget or the base's size), each
 * with its claims' differences and intervals as its {@code summary.json} states them, placed by what was measured
 * (the runs' SFT tokens over the base's pretraining tokens, or the base's parameters), and a weighted least-squares
 * line per claim with its zero crossing (docs/method.md section 5).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PremiseMap(List<Axis> axes, String method) {
    /** 97.5% normal quantile: the line's standard errors treat the points' variances as known (scaled as below). */
    private static final double Z = 1.959963984540054;

    static final String METHOD = "Each point's claim interval is its summary.json's (seeds and items, t with n - 1 df); "
            + "its standard error is the half-width over that t quantile (1.96 for an items-only interval). The line is "
            + "weighted least squares of the score difference on x with weights 1 / se^2; where the points scatter more "
            + "than their intervals say, its covariance is scaled by chi^2 / (points - 2) and its intervals take Student's "
            + "t with points - 2 degrees of freedom (else the normal quantile: the variances are the points' own). A "
            + "trend is claimed only when the slope's 95% interval excludes 0 and at least 3 points were fitted; the zero "
            + "crossing's interval is the delta method's, and a crossing outside the measured x range is an extrapolation.";

    /** What an axis places its points by. */
    public enum Kind {
        BUDGET("log10(SFT tokens / pretraining tokens)"),
        SIZE("log10(base parameters)");

        public final String x;

        Kind(String x) {
            this.x = x;
        }

        public static Kind of(String name) {
            for (Kind k : values()) {
                if (k.name().equalsIgnoreCase(name)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("an axis is 'budget' or 'size', not '" + name + "'");
        }

        double x(Point p) {
            return Math.log10(this == BUDGET ? p.sftRatio() : p.baseParameters());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Axis(String name, String x, List<Point> points, List<Trend> trends) {
    }

    /**
     * One experiment folder. {@code sftTokens} is the mean over its runs that recorded {@code tokens_trained}
     * ({@code runsWithTokens} of them; runs made before that was recorded do not count).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Point(String folder, String base, long stageSize, long baseParameters, long baseTokens,
                        double sftTokens, int runsWithTokens, double sftRatio, double tokensPerParameter,
                        List<ExperimentSummary.Comparison> claims) {
    }

    /** A claim's line on one axis: the score difference against x. Crossing fields null where no trend is claimed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Trend(String claim, int points, double intercept, double slope, double slopeLow, double slopeHigh,
                        double chiSquare, double scale, boolean trend, Double crossingX, Double crossingLow,
                        Double crossingHigh, Boolean extrapolation) {
    }

    /** Reads every point of every axis ({@code axes}: name -> folders, in order) and fits each claim along each. */
    public static PremiseMap read(Configuration conf, Map<String, List<String>> axes) {
        List<Axis> out = new ArrayList<>();
        List<Kind> seen = new ArrayList<>();
        for (var e : axes.entrySet()) {
            Kind kind = Kind.of(e.getKey());
            if (seen.contains(kind)) {
                throw new IllegalArgumentException("axis '" + kind.name().toLowerCase() + "' given twice");
            }
            seen.add(kind);
            List<Point> points = new ArrayList<>();
            for (String folder : e.getValue()) {
                if (folder.isBlank()) {
                    throw new IllegalArgumentException("axis '" + e.getKey() + "': an empty folder name in its list");
                }
                points.add(point(conf, folder.trim()));
            }
            out.add(new Axis(kind.name().toLowerCase(), kind.x, points, trends(kind, points)));
        }
        return new PremiseMap(out, METHOD);
    }

    /** One claim per name in the order the points state them; each fitted over the points that state it. */
    static List<Trend> trends(Kind kind, List<Point> points) {
        Map<String, List<double[]>> byClaim = new LinkedHashMap<>();
        for (Point p : points) {
            for (ExperimentSummary.Comparison c : p.claims()) {
                ExperimentSummary.Interval i = c.scoreDifference();
                double se = i == null ? Double.NaN : standardError(i, c.seeds());
                if (!(se > 0)) {
                    throw new IllegalArgumentException(p.folder() + "/summary.json: claim '" + c.claim()
                            + "' has no score_difference interval of positive width");
                }
                byClaim.computeIfAbsent(c.claim(), k -> new ArrayList<>()).add(new double[]{kind.x(p), i.estimate(), se});
            }
        }
        List<Trend> out = new ArrayList<>();
        byClaim.forEach((claim, rows) -> {
            if (rows.size() >= 2) {
                out.add(fit(claim, rows.stream().mapToDouble(r -> r[0]).toArray(), rows.stream().mapToDouble(r -> r[1]).toArray(),
                        rows.stream().mapToDouble(r -> r[2]).toArray()));
            }
        });
        return out;
    }

    /** The standard error an interval implies: its half-width over the quantile it was made with. */
    static double standardError(ExperimentSummary.Interval i, int seeds) {
        boolean seedTerm = i.rule() != null && i.rule().startsWith("seeds and items");
        double q = seedTerm ? new TDistribution(seeds - 1).inverseCumulativeProbability(0.975) : Z;
        return (i.high() - i.low()) / 2 / q;
    }

    /** Weighted least squares of y on x with known standard errors se (method above). */
    static Trend fit(String claim, double[] x, double[] y, double[] se) {
        int n = x.length;
        double s = 0, sx = 0, sxx = 0, sy = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            double w = 1 / (se[i] * se[i]);
            s += w;
            sx += w * x[i];
            sxx += w * x[i] * x[i];
            sy += w * y[i];
            sxy += w * x[i] * y[i];
        }
        double det = s * sxx - sx * sx;
        if (!(det > 0)) {
            throw new IllegalArgumentException("claim '" + claim + "': the points share one x; no line can be fitted");
        }
        double b = (s * sxy - sx * sy) / det;
        double a = (sxx * sy - sx * sxy) / det;
        double chi2 = 0;
        for (int i = 0; i < n; i++) {
            double r = (y[i] - a - b * x[i]) / se[i];
            chi2 += r * r;
        }
        double scale = n > 2 ? Math.max(1, chi2 / (n - 2)) : 1;
        double va = scale * sxx / det;
        double vb = scale * s / det;
        double cab = -scale * sx / det;
        // estimated scatter: the intervals take t at the fit's degrees of freedom
        double q = scale > 1 ? new TDistribution(n - 2).inverseCumulativeProbability(0.975) : Z;
        double hb = q * Math.sqrt(vb);
        boolean trend = n >= 3 && (b - hb > 0 || b + hb < 0);
        if (!trend) {
            return new Trend(claim, n, a, b, b - hb, b + hb, chi2, scale, false, null, null, null, null);
        }
        double x0 = -a / b;
        double h0 = q * Math.sqrt((va + x0 * x0 * vb + 2 * x0 * cab) / (b * b));
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new Trend(claim, n, a, b, b - hb, b + hb, chi2, scale, true, x0, x0 - h0, x0 + h0, x0 < lo || x0 > hi);
    }

    /** A point from an experiment folder, its runs and the base its config names. */
    static Point point(Configuration conf, String folder) {
        ExperimentSummary summary = Json.read(conf, new Path(folder, "summary.json").toString(), ExperimentSummary.class);
        if (summary.claims() == null || summary.claims().isEmpty()) {
            throw new IllegalArgumentException(folder + "/summary.json states no claims: not a finished experiment");
        }
        String cfg = new Path(folder, "config.json").toString();
        Object base = path(Json.readMap(conf, cfg), "versatune", "experiment", "base");
        if (!(base instanceof String b) || b.isBlank()) {
            throw new IllegalArgumentException(cfg + ": no base model (versatune.experiment.base)");
        }
        Map<String, Object> model = Json.readMap(conf, new Path(b, "model.json").toString());
        Map<String, Object> stats = Json.readMap(conf, new Path(b, "stats.json").toString());
        long params = number(model, "parameters", b + "/model.json");
        long pretrained = number(stats, "tokens_trained", b + "/stats.json");
        long stageSize = -1;
        double tokens = 0;
        int counted = 0;
        for (String run : runs(conf, folder)) {
            Map<String, Object> r = Json.readMap(conf, run);
            long size = number(r, "stage_size", run);
            if (stageSize >= 0 && size != stageSize) {
                throw new IllegalArgumentException(run + ": stage_size " + size + ", another run of " + folder + " has " + stageSize);
            }
            stageSize = size;
            if (r.get("tokens_trained") instanceof Number t) {
                tokens += t.doubleValue();
                counted++;
            }
        }
        if (counted == 0) {
            throw new IllegalArgumentException(folder + ": no run records tokens_trained (runs/*/seed-*/summary.json), "
                    + "so its SFT-to-pretraining ratio is unknown: add a seed with a build that records it");
        }
        double sft = tokens / counted;
        return new Point(folder, b, stageSize, params, pretrained, sft, counted, sft / pretrained,
                (double) pretrained / params, summary.claims());
    }

    /** Every runs/STRATEGY/seed-N/summary.json of an experiment folder. */
    private static List<String> runs(Configuration conf, String folder) {
        try {
            Path root = new Path(folder, "runs");
            FileSystem fs = root.getFileSystem(conf);
            if (!fs.exists(root)) {
                throw new IllegalArgumentException(folder + " holds no runs/ folder: not an experiment's results");
            }
            List<String> out = new ArrayList<>();
            for (FileStatus strategy : fs.listStatus(root)) {
                for (FileStatus seed : fs.listStatus(strategy.getPath())) {
                    Path s = new Path(seed.getPath(), "summary.json");
                    if (seed.isDirectory() && seed.getPath().getName().startsWith("seed-") && fs.exists(s)) {
                        out.add(s.toString());
                    }
                }
            }
            out.sort(null);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the runs of " + folder + ": " + e.getMessage(), e);
        }
    }

    private static Object path(Map<String, Object> m, String... keys) {
        Object at = m;
        for (String k : keys) {
            if (!(at instanceof Map<?, ?> map)) {
                return null;
            }
            at = map.get(k);
        }
        return at;
    }

    private static long number(Map<String, Object> m, String field, String file) {
        if (m.get(field) instanceof Number n && n.longValue() > 0) {
            return n.longValue();
        }
        throw new IllegalArgumentException(file + ": field '" + field + "' is missing or not a positive number");
    }
}
