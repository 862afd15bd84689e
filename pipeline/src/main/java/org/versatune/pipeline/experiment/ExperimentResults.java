package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The experiment's results table (one row per strategy x seed x domain) and its summary across seeds: mean and
 * spread of the comprehensive score, relative improvement over uniform paired by seed, and the expansion
 * figures against {@code specific}.
 */
public final class ExperimentResults {
    private ExperimentResults() {
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> collect(Configuration conf, Domains domains, String out, List<ExperimentRunner.Run> runs,
                                              String target) {
        List<Map<String, Object>> rows = new ArrayList<>();
        // strategy -> seed -> domain -> score
        Map<String, Map<Long, Map<String, Double>>> scores = new LinkedHashMap<>();
        Map<String, Map<Long, Double>> mcAcc = new LinkedHashMap<>();
        Map<Long, Map<String, Double>> baseScores = new TreeMap<>();
        for (ExperimentRunner.Run r : runs) {
            Map<String, Object> summary = Json.readMap(conf, new Path(r.dir(), "summary.json").toString());
            Map<String, Object> fin = (Map<String, Object>) ((Map<String, Object>) summary.get("final_eval")).get("domains");
            Map<String, Object> base = (Map<String, Object>) ((Map<String, Object>) summary.get("base_eval")).get("domains");
            Map<String, Double> sc = new LinkedHashMap<>();
            Map<String, Double> bs = new LinkedHashMap<>();
            double accSum = 0;
            int accN = 0;
            for (String d : domains.names()) {
                Map<String, Object> f = (Map<String, Object>) fin.get(d);
                Map<String, Object> b = (Map<String, Object>) base.get(d);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("strategy", r.strategy());
                row.put("seed", r.seed());
                row.put("domain", d);
                row.put("mean_nll", f.get("mean_nll"));
                row.put("score", f.get("score"));
                row.put("base_score", b.get("score"));
                row.put("score_change", ((Number) f.get("score")).doubleValue() - ((Number) b.get("score")).doubleValue());
                row.put("mc_accuracy", f.get("mc_accuracy"));
                row.put("base_mc_accuracy", b.get("mc_accuracy"));
                rows.add(row);
                sc.put(d, ((Number) f.get("score")).doubleValue());
                bs.put(d, ((Number) b.get("score")).doubleValue());
                if (f.get("mc_accuracy") instanceof Number n) {
                    accSum += n.doubleValue();
                    accN++;
                }
            }
            scores.computeIfAbsent(r.strategy(), k -> new TreeMap<>()).put(r.seed(), sc);
            mcAcc.computeIfAbsent(r.strategy(), k -> new TreeMap<>()).put(r.seed(), accN == 0 ? Double.NaN : accSum / accN);
            baseScores.put(r.seed(), bs);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        Map<String, Object> per = new LinkedHashMap<>();
        Map<String, Map<Long, Double>> comp = new LinkedHashMap<>();
        for (var e : scores.entrySet()) {
            Map<Long, Double> c = new TreeMap<>();
            e.getValue().forEach((seed, m) -> c.put(seed, ExperimentMetrics.comprehensive(m)));
            comp.put(e.getKey(), c);
            List<Double> v = new ArrayList<>(c.values());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("comprehensive_score_mean", ExperimentMetrics.mean(v));
            s.put("comprehensive_score_std", ExperimentMetrics.std(v));
            s.put("comprehensive_score_by_seed", c);
            s.put("mc_accuracy_mean", ExperimentMetrics.mean(new ArrayList<>(mcAcc.get(e.getKey()).values())));
            Map<String, Double> dm = new LinkedHashMap<>();
            for (String d : domains.names()) {
                List<Double> dv = new ArrayList<>();
                e.getValue().values().forEach(m -> dv.add(m.get(d)));
                dm.put(d, ExperimentMetrics.mean(dv));
            }
            s.put("domain_score_mean", dm);
            if (comp.containsKey("uniform") && !e.getKey().equals("uniform")) {
                List<Double> rel = new ArrayList<>();
                int wins = 0;
                for (var sv : c.entrySet()) {
                    Double u = comp.get("uniform").get(sv.getKey());
                    if (u != null) {
                        double ri = ExperimentMetrics.relativeImprovement(sv.getValue(), u);
                        rel.add(ri);
                        wins += ri > 0 ? 1 : 0;
                    }
                }
                s.put("relative_improvement_over_uniform_mean", ExperimentMetrics.mean(rel));
                s.put("relative_improvement_over_uniform_std", ExperimentMetrics.std(rel));
                s.put("seeds_better_than_uniform", wins + "/" + rel.size());
            }
            per.put(e.getKey(), s);
        }
        List<Double> baseComp = new ArrayList<>();
        baseScores.values().forEach(m -> baseComp.add(ExperimentMetrics.comprehensive(m)));
        summary.put("base_comprehensive_score", ExperimentMetrics.mean(baseComp));
        summary.put("strategies", per);
        summary.put("direction", direction(per));
        if (target != null && scores.containsKey("specific")) {
            summary.put("expansion", expansion(scores, baseScores, target));
        }
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("rows", rows);
        res.put("summary", summary);
        return res;
    }

    /** Does the paper's ordering reproduce (on mean comprehensive score)? */
    private static Map<String, Object> direction(Map<String, Object> per) {
        Map<String, Object> d = new LinkedHashMap<>();
        String[][] pairs = {{"versatune-dynamic", "versatune"}, {"versatune", "uniform"}, {"uniform", "inverse"},
                {"versatune-dynamic", "uniform"}};
        for (String[] p : pairs) {
            if (per.containsKey(p[0]) && per.containsKey(p[1])) {
                double a = (Double) ((Map<?, ?>) per.get(p[0])).get("comprehensive_score_mean");
                double b = (Double) ((Map<?, ?>) per.get(p[1])).get("comprehensive_score_mean");
                d.put(p[0] + " > " + p[1], a > b);
            }
        }
        return d;
    }

    private static Map<String, Object> expansion(Map<String, Map<Long, Map<String, Double>>> scores,
                                                 Map<Long, Map<String, Double>> base, String target) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", target);
        Map<Long, Map<String, Double>> spec = scores.get("specific");
        for (String s : List.of("specific", "uniform-rest", "versatune-expand")) {
            if (!scores.containsKey(s)) {
                continue;
            }
            List<Double> gain = new ArrayList<>();
            List<Double> deg = new ArrayList<>();
            List<Double> red = new ArrayList<>();
            List<Double> kept = new ArrayList<>();
            for (var e : scores.get(s).entrySet()) {
                Map<String, Double> b = base.get(e.getKey());
                double g = ExperimentMetrics.targetGain(e.getValue(), b, target);
                double dg = ExperimentMetrics.degradation(e.getValue(), b, target);
                gain.add(g);
                deg.add(dg);
                Map<String, Double> sp = spec.get(e.getKey());
                if (sp != null) {
                    red.add(ExperimentMetrics.reductionOfDegradation(dg, ExperimentMetrics.degradation(sp, b, target)));
                    kept.add(ExperimentMetrics.gainKept(g, ExperimentMetrics.targetGain(sp, b, target)));
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target_gain_mean", ExperimentMetrics.mean(gain));
            m.put("target_gain_std", ExperimentMetrics.std(gain));
            m.put("degradation_mean", ExperimentMetrics.mean(deg));
            m.put("degradation_std", ExperimentMetrics.std(deg));
            m.put("reduction_of_degradation_vs_specific_mean", ExperimentMetrics.mean(red));
            m.put("target_gain_kept_vs_specific_mean", ExperimentMetrics.mean(kept));
            out.put(s, m);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public static String csv(Map<String, Object> results) {
        StringBuilder sb = new StringBuilder("strategy,seed,domain,mean_nll,score,base_score,score_change,mc_accuracy,base_mc_accuracy\n");
        for (Map<String, Object> r : (List<Map<String, Object>>) results.get("rows")) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%s,%s,%s,%s%n", r.get("strategy"), r.get("seed"), r.get("domain"),
                    r.get("mean_nll"), r.get("score"), r.get("base_score"), r.get("score_change"),
                    r.get("mc_accuracy") == null ? "" : r.get("mc_accuracy"), r.get("base_mc_accuracy") == null ? "" : r.get("base_mc_accuracy")));
        }
        return sb.toString();
    }
}
