package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.versatune.pipeline.eval.EvalMetrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleBinaryOperator;
import java.util.function.Function;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToDoubleFunction;

/**
 * The experiment's tables from every run's per-item test scores (docs/method.md section 5): one row per strategy x
 * seed x domain, and a summary with, per strategy, the comprehensive score and the mean per-domain NLL change
 * across seeds; for each claim "A > B" the paired difference pooled over seeds with its 95% interval on both
 * metrics and the verdict of the rule fixed before the runs; for domain expansion the target gain kept and the
 * reduction of the other domains' degradation against {@code specific}, with intervals.
 */
public final class ExperimentResults {
    /** The verdict of a claim that only one seed has run. */
    static final String ONE_SEED = "undetermined (one seed)";

    private ExperimentResults() {
    }

    /** How the tables are made: the claims to test, the expansion target (or null) and the bootstrap. */
    public record Design(List<String> claims, String target, int draws, long seed) {
    }

    /** File of a run's test scores (or the base model's: {@code strategy} null) under a scores folder. */
    public static String scoresFile(String scoresDir, String strategy, long seed) {
        return strategy == null ? new Path(scoresDir, "base.json").toString()
                : new Path(new Path(scoresDir, strategy), "seed-" + seed + ".json").toString();
    }

    /** The per-run rows (results.json and .csv) and the summary (summary.json). */
    public record Tables(List<Map<String, Object>> rows, ExperimentSummary summary) {
    }

    public static Tables collect(Configuration conf, List<ExperimentRunner.Run> runs, String scoresDir, Design design) {
        TestScores base = TestScores.read(conf, scoresFile(scoresDir, null, 0));
        Map<String, TreeMap<Long, TestScores>> by = new LinkedHashMap<>();
        for (ExperimentRunner.Run r : runs) {
            TestScores t = TestScores.read(conf, scoresFile(scoresDir, r.strategy(), r.seed()));
            base.requireSameItems(t, "run " + r.strategy() + " seed " + r.seed());
            by.computeIfAbsent(r.strategy(), k -> new TreeMap<>()).put(r.seed(), t);
        }
        return tabulate(base, by, design);
    }

    static Tables tabulate(TestScores base, Map<String, TreeMap<Long, TestScores>> by, Design design) {
        List<String> domains = base.domains;
        TestScores.Resample all = TestScores.Resample.identity(base.sftSizes(), base.mcSizes());
        double[] baseNll = base.domainNll(all);
        double[] baseAcc = base.domainAccuracy(all);
        double[] chance = base.chance();
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, ExperimentSummary.Strategy> strategies = new LinkedHashMap<>();
        for (var e : by.entrySet()) {
            Map<Long, Double> comp = new TreeMap<>();
            Map<Long, Double> change = new TreeMap<>();
            Map<Long, Double> acc = new TreeMap<>();
            double[] domainScore = new double[domains.size()];
            double[] domainChange = new double[domains.size()];
            for (var s : e.getValue().entrySet()) {
                TestScores t = s.getValue();
                double[] nll = t.domainNll(all);
                double[] a = t.domainAccuracy(all);
                for (int d = 0; d < domains.size(); d++) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("strategy", e.getKey());
                    row.put("seed", s.getKey());
                    row.put("domain", domains.get(d));
                    row.put("test_records", base.sftSizes()[d]);
                    row.put("mean_nll", nll[d]);
                    row.put("score", EvalMetrics.score(nll[d]));
                    row.put("base_mean_nll", baseNll[d]);
                    row.put("base_score", EvalMetrics.score(baseNll[d]));
                    row.put("score_change", EvalMetrics.score(nll[d]) - EvalMetrics.score(baseNll[d]));
                    row.put("nll_change", nll[d] - baseNll[d]);
                    row.put("mc_items", base.mcSizes()[d]);
                    row.put("mc_accuracy", Double.isNaN(a[d]) ? null : a[d]);
                    row.put("base_mc_accuracy", Double.isNaN(baseAcc[d]) ? null : baseAcc[d]);
                    rows.add(row);
                    domainScore[d] += EvalMetrics.score(nll[d]) / e.getValue().size();
                    domainChange[d] += (nll[d] - baseNll[d]) / e.getValue().size();
                }
                comp.put(s.getKey(), t.comprehensive(all));
                change.put(s.getKey(), t.meanNllChange(base, all));
                acc.put(s.getKey(), t.meanAccuracy(all));
            }
            // the intervals of the strategy's own figures (means over seeds) over resampled test items
            PairedBootstrap.Interval scoreInterval = PairedBootstrap.interval(r -> meanOver(e.getValue(), t -> t.comprehensive(r)),
                    base.sftSizes(), base.mcSizes(), design.draws(), design.seed());
            PairedBootstrap.Interval accInterval = PairedBootstrap.interval(r -> meanOver(e.getValue(), t -> t.meanAccuracy(r)),
                    base.sftSizes(), base.mcSizes(), design.draws(), design.seed());
            boolean vsUniform = by.containsKey("uniform") && !e.getKey().equals("uniform");
            List<Double> seedScores = new ArrayList<>(comp.values());
            strategies.put(e.getKey(), new ExperimentSummary.Strategy(e.getValue().size(), ExperimentMetrics.mean(seedScores),
                    ExperimentMetrics.std(seedScores), comp, ExperimentSummary.Interval.of(scoreInterval),
                    ExperimentMetrics.mean(new ArrayList<>(change.values())), change, ExperimentMetrics.mean(new ArrayList<>(acc.values())),
                    ExperimentSummary.Interval.of(accInterval), named(domains, domainScore), named(domains, domainChange),
                    named(domains, meanArrays(e.getValue(), t -> t.domainAccuracy(all))),
                    vsUniform ? comparison(e.getKey(), "uniform", by, base, design) : null));
        }
        ExperimentSummary.Base b = new ExperimentSummary.Base(base.comprehensive(all), named(domains, baseNll),
                named(domains, scores(baseNll)), named(domains, baseAcc), TestScores.nanMean(baseAcc), named(domains, chance),
                TestScores.nanMean(chance), named(domains, base.sftSizes()), named(domains, base.mcSizes()));
        List<ExperimentSummary.Comparison> claims = new ArrayList<>();
        List<ExperimentSummary.Comparison> sensitivity = new ArrayList<>();
        for (String c : design.claims()) {
            String[] ab = c.split(">");
            if (ab.length != 2) {
                throw new IllegalArgumentException("versatune.experiment.claims: '" + c + "' is not of the form \"A > B\"");
            }
            ExperimentSummary.Comparison cmp = comparison(ab[0].trim(), ab[1].trim(), by, base, design);
            if (cmp != null) {
                (ab[0].contains("-eta-") || ab[1].contains("-eta-") ? sensitivity : claims).add(cmp);
            }
        }
        String rule = "mean over the seeds both ran of the per-seed paired difference (A - B), 95% "
                + "interval mean +- t(0.975, n - 1) * sqrt(v_items + s^2 / n): v_items the variance of the mean over "
                + design.draws() + " bootstrap draws of the test items within each domain (the same draw for every model "
                + "and seed), s the standard deviation of the n per-seed differences (one seed: the items-only "
                + "percentile interval). A better when the interval lies on A's side of 0, worse when on B's, otherwise "
                + "no detectable difference; for the mean NLL change lower is better. The earlier items-only "
                + "percentile interval is reported beside it (*_items_only)";
        ExperimentSummary.Expansion expansion = design.target() != null && by.containsKey("specific") ? expansion(by, base, design) : null;
        return new Tables(rows, new ExperimentSummary(b, strategies, claims, sensitivity, rule, expansion));
    }

    /** A against B on both metrics, paired by seed; null when they share no seed. */
    static ExperimentSummary.Comparison comparison(String a, String b, Map<String, TreeMap<Long, TestScores>> by,
                                                   TestScores base, Design design) {
        if (!by.containsKey(a) || !by.containsKey(b)) {
            return null;
        }
        List<TestScores[]> pairs = new ArrayList<>();
        int wins = 0;
        TestScores.Resample all = TestScores.Resample.identity(base.sftSizes(), base.mcSizes());
        for (var s : by.get(a).entrySet()) {
            TestScores other = by.get(b).get(s.getKey());
            if (other != null) {
                pairs.add(new TestScores[]{s.getValue(), other});
                wins += s.getValue().comprehensive(all) > other.comprehensive(all) ? 1 : 0;
            }
        }
        if (pairs.isEmpty()) {
            return null;
        }
        List<PairedBootstrap.Statistic> score = new ArrayList<>();
        List<PairedBootstrap.Statistic> nll = new ArrayList<>();
        for (TestScores[] p : pairs) {
            score.add(r -> p[0].comprehensive(r) - p[1].comprehensive(r));
            nll.add(r -> p[0].meanNll(r) - p[1].meanNll(r));   // the difference of changes from the base: the base cancels
        }
        PairedBootstrap.SeedInterval scoreBoth = PairedBootstrap.seedsAndItems(score, base.sftSizes(), base.mcSizes(),
                design.draws(), design.seed());
        PairedBootstrap.SeedInterval nllBoth = PairedBootstrap.seedsAndItems(nll, base.sftSizes(), base.mcSizes(),
                design.draws(), design.seed());
        // the earlier rule (test items only, the trained models held fixed), reported beside the verdict
        PairedBootstrap.Interval scoreItems = scoreBoth.items();
        PairedBootstrap.Interval nllItems = nllBoth.items();
        // one seed leaves the seeds' variance unknown: its items-only interval is shown, no verdict is read from it
        String scoreVerdict = scoreBoth.seedTerm() ? scoreBoth.interval().verdict(true) : ONE_SEED;
        String nllVerdict = nllBoth.seedTerm() ? nllBoth.interval().verdict(false) : ONE_SEED;
        return new ExperimentSummary.Comparison(a + " > " + b, a, b, pairs.size(), wins + "/" + pairs.size(),
                ExperimentSummary.Interval.of(scoreBoth), scoreVerdict, ExperimentSummary.Interval.of(nllBoth), nllVerdict,
                scoreVerdict.equals(nllVerdict), ExperimentSummary.Interval.of(scoreItems), scoreItems.verdict(true),
                ExperimentSummary.Interval.of(nllItems), nllItems.verdict(false));
    }

    private static ExperimentSummary.Expansion expansion(Map<String, TreeMap<Long, TestScores>> by, TestScores base, Design design) {
        int target = base.domains.indexOf(design.target());
        if (target < 0) {
            throw new IllegalArgumentException("expansion target '" + design.target() + "' is not a domain of the test set");
        }
        TestScores.Resample all = TestScores.Resample.identity(base.sftSizes(), base.mcSizes());
        ExperimentSummary.Expansion out = new ExperimentSummary.Expansion(design.target());
        TreeMap<Long, TestScores> spec = by.get("specific");
        for (String s : List.of("specific", "uniform-rest", "versatune-expand")) {
            TreeMap<Long, TestScores> runs = by.get(s);
            if (runs == null) {
                continue;
            }
            double gain = meanOver(runs, t -> gain(t, base, target, all));
            double degradation = meanOver(runs, t -> degradation(t, base, target, all));
            Map<String, Double> changes = named(base.domains, meanArrays(runs, t -> changes(t, base, all)));
            List<Long> seeds = runs.keySet().stream().filter(spec::containsKey).toList();
            if (s.equals("specific") || seeds.isEmpty()) {
                out.put(s, new ExperimentSummary.ExpansionRun(gain, degradation, changes, null, null, null, null, null));
                continue;
            }
            PairedBootstrap.Interval kept = versusSpecific(seeds, runs, spec, (t, r) -> gain(t, base, target, r),
                    ExperimentMetrics::gainKept, base, design);
            PairedBootstrap.Interval red = versusSpecific(seeds, runs, spec, (t, r) -> degradation(t, base, target, r),
                    ExperimentMetrics::reductionOfDegradation, base, design);
            String keptVerdict = Double.isNaN(kept.high()) ? "undefined (specific gained nothing)"
                    : kept.high() < 1 ? "keeps less of the target gain than specific" : "keeps the target gain (within noise)";
            String reductionVerdict = Double.isNaN(red.low()) ? "undefined (specific degraded nothing)"
                    : red.low() > 0 ? "degrades the other domains less than specific"
                    : red.high() < 0 ? "degrades the other domains more than specific" : "no detectable difference";
            out.put(s, new ExperimentSummary.ExpansionRun(gain, degradation, changes, seeds.size(), ExperimentSummary.Interval.of(kept),
                    keptVerdict, ExperimentSummary.Interval.of(red), reductionVerdict));
        }
        return out;
    }

    /** Bootstrap interval of combine(a figure summed over the shared seeds' runs of a strategy, the same for specific). */
    private static PairedBootstrap.Interval versusSpecific(List<Long> seeds, TreeMap<Long, TestScores> runs,
                                                           TreeMap<Long, TestScores> spec,
                                                           ToDoubleBiFunction<TestScores, TestScores.Resample> figure,
                                                           DoubleBinaryOperator combine, TestScores base, Design design) {
        return PairedBootstrap.interval(r -> {
            double a = 0;
            double b = 0;
            for (long seed : seeds) {
                a += figure.applyAsDouble(runs.get(seed), r);
                b += figure.applyAsDouble(spec.get(seed), r);
            }
            return combine.applyAsDouble(a, b);
        }, base.sftSizes(), base.mcSizes(), design.draws(), design.seed());
    }

    private static double gain(TestScores t, TestScores base, int target, TestScores.Resample r) {
        return EvalMetrics.score(t.domainNll(r)[target]) - EvalMetrics.score(base.domainNll(r)[target]);
    }

    private static double degradation(TestScores t, TestScores base, int target, TestScores.Resample r) {
        double[] c = changes(t, base, r);
        double s = 0;
        for (int d = 0; d < c.length; d++) {
            if (d != target) {
                s += Math.min(0, c[d]);
            }
        }
        return s;
    }

    /** Score change of every domain from the base model. */
    private static double[] changes(TestScores t, TestScores base, TestScores.Resample r) {
        double[] a = t.domainNll(r);
        double[] b = base.domainNll(r);
        double[] c = new double[a.length];
        for (int d = 0; d < a.length; d++) {
            c[d] = EvalMetrics.score(a[d]) - EvalMetrics.score(b[d]);
        }
        return c;
    }

    private static double meanOver(Map<Long, TestScores> runs, ToDoubleFunction<TestScores> f) {
        double s = 0;
        for (TestScores t : runs.values()) {
            s += f.applyAsDouble(t);
        }
        return s / runs.size();
    }

    private static double[] meanArrays(Map<Long, TestScores> runs, Function<TestScores, double[]> f) {
        double[] s = null;
        for (TestScores t : runs.values()) {
            double[] v = f.apply(t);
            if (s == null) {
                s = new double[v.length];
            }
            for (int i = 0; i < v.length; i++) {
                s[i] += v[i] / runs.size();
            }
        }
        return s;
    }

    private static double[] scores(double[] nll) {
        double[] s = new double[nll.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = EvalMetrics.score(nll[i]);
        }
        return s;
    }

    private static Map<String, Double> named(List<String> domains, double[] v) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            m.put(domains.get(i), Double.isNaN(v[i]) ? null : v[i]);
        }
        return m;
    }

    private static Map<String, Integer> named(List<String> domains, int[] v) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            m.put(domains.get(i), v[i]);
        }
        return m;
    }

    public static String csv(Tables results) {
        String[] cols = {"strategy", "seed", "domain", "test_records", "mean_nll", "score", "base_mean_nll", "base_score",
                "score_change", "nll_change", "mc_items", "mc_accuracy", "base_mc_accuracy"};
        StringBuilder sb = new StringBuilder(String.join(",", cols)).append('\n');
        for (Map<String, Object> r : results.rows()) {
            for (int i = 0; i < cols.length; i++) {
                Object v = r.get(cols[i]);
                sb.append(i == 0 ? "" : ",").append(v == null ? "" : String.format(Locale.ROOT, "%s", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
