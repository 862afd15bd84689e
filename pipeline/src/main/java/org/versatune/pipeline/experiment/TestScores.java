package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.versatune.pipeline.eval.DomainEvaluator;
import org.versatune.pipeline.eval.EvalMetrics;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.OutputFiles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One model's result on every item of a test set, per domain in id order, so that two models' tables line up item
 * by item and a paired comparison can resample the same items for both. SFT items carry their summed response NLL
 * and token count; multiple-choice items whether the model chose right, and out of how many answers.
 */
public final class TestScores {
    final List<String> domains;
    final String[][] sftIds;
    final double[][] nll;
    final double[][] tokens;
    final String[][] mcIds;
    final int[][] correct;
    final int[][] choices;

    TestScores(List<String> domains, String[][] sftIds, double[][] nll, double[][] tokens, String[][] mcIds, int[][] correct,
               int[][] choices) {
        this.domains = domains;
        this.sftIds = sftIds;
        this.nll = nll;
        this.tokens = tokens;
        this.mcIds = mcIds;
        this.correct = correct;
        this.choices = choices;
    }

    /** The table of scored items; every domain needs at least one SFT item. */
    public static TestScores of(List<String> domains, List<DomainEvaluator.ItemScore> sft, List<DomainEvaluator.ItemScore> mc) {
        int k = domains.size();
        String[][] sftIds = new String[k][];
        double[][] nll = new double[k][];
        double[][] tokens = new double[k][];
        String[][] mcIds = new String[k][];
        int[][] correct = new int[k][];
        int[][] choices = new int[k][];
        for (int d = 0; d < k; d++) {
            String name = domains.get(d);
            List<DomainEvaluator.ItemScore> s = sorted(sft, name);
            if (s.isEmpty()) {
                throw new IllegalArgumentException("the test set has no SFT records for domain '" + name + "'");
            }
            sftIds[d] = s.stream().map(DomainEvaluator.ItemScore::id).toArray(String[]::new);
            nll[d] = s.stream().mapToDouble(DomainEvaluator.ItemScore::nll).toArray();
            tokens[d] = s.stream().mapToDouble(DomainEvaluator.ItemScore::tokens).toArray();
            List<DomainEvaluator.ItemScore> m = sorted(mc, name);
            mcIds[d] = m.stream().map(DomainEvaluator.ItemScore::id).toArray(String[]::new);
            correct[d] = m.stream().mapToInt(DomainEvaluator.ItemScore::correct).toArray();
            choices[d] = m.stream().mapToInt(DomainEvaluator.ItemScore::choices).toArray();
        }
        return new TestScores(List.copyOf(domains), sftIds, nll, tokens, mcIds, correct, choices);
    }

    private static List<DomainEvaluator.ItemScore> sorted(List<DomainEvaluator.ItemScore> all, String domain) {
        List<DomainEvaluator.ItemScore> out = new ArrayList<>();
        for (DomainEvaluator.ItemScore s : all) {
            if (s.domain().equals(domain)) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparing(DomainEvaluator.ItemScore::id));
        return out;
    }

    /** Items per domain (SFT, then multiple choice): the strata a resample draws from. */
    public int[] sftSizes() {
        int[] n = new int[nll.length];
        for (int d = 0; d < n.length; d++) {
            n[d] = nll[d].length;
        }
        return n;
    }

    public int[] mcSizes() {
        int[] n = new int[correct.length];
        for (int d = 0; d < n.length; d++) {
            n[d] = correct[d].length;
        }
        return n;
    }

    /** Fails unless {@code other} scored exactly the same items (a paired comparison needs it). */
    public void requireSameItems(TestScores other, String what) {
        if (!domains.equals(other.domains)) {
            throw new IllegalArgumentException(what + ": scored on domains " + other.domains + ", expected " + domains);
        }
        for (int d = 0; d < domains.size(); d++) {
            if (!Arrays.equals(sftIds[d], other.sftIds[d]) || !Arrays.equals(mcIds[d], other.mcIds[d])) {
                throw new IllegalArgumentException(what + ": scored on other test items than the base model in domain '"
                        + domains.get(d) + "' (score every run on the same test set)");
            }
        }
    }

    /** Token-weighted mean NLL of each domain over the resampled items. */
    public double[] domainNll(Resample r) {
        double[] out = new double[nll.length];
        for (int d = 0; d < out.length; d++) {
            double s = 0;
            double t = 0;
            for (int i : r.sft()[d]) {
                s += nll[d][i];
                t += tokens[d][i];
            }
            out[d] = t == 0 ? Double.NaN : s / t;
        }
        return out;
    }

    /** Mean over domains of 100 exp(-NLL): the method's comprehensive score. */
    public double comprehensive(Resample r) {
        double s = 0;
        for (double x : domainNll(r)) {
            s += EvalMetrics.score(x);
        }
        return s / domains.size();
    }

    /** Mean over domains of this model's NLL minus the base's (negative: lower loss than the base). */
    public double meanNllChange(TestScores base, Resample r) {
        return meanNll(r) - base.meanNll(r);
    }

    /** Mean over domains of the per-domain mean NLL. */
    public double meanNll(Resample r) {
        double s = 0;
        for (double x : domainNll(r)) {
            s += x;
        }
        return s / nll.length;
    }

    /** Per-domain multiple-choice accuracy (NaN where a domain has no items). */
    public double[] domainAccuracy(Resample r) {
        double[] out = new double[correct.length];
        for (int d = 0; d < out.length; d++) {
            int c = 0;
            for (int i : r.mc()[d]) {
                c += correct[d][i];
            }
            out[d] = r.mc()[d].length == 0 ? Double.NaN : (double) c / r.mc()[d].length;
        }
        return out;
    }

    /** Mean over the domains that have items of their accuracy. */
    public double meanAccuracy(Resample r) {
        return nanMean(domainAccuracy(r));
    }

    /** The accuracy of guessing, per domain: mean of 1 / number of answers. */
    public double[] chance() {
        double[] out = new double[choices.length];
        for (int d = 0; d < out.length; d++) {
            double s = 0;
            for (int c : choices[d]) {
                s += 1.0 / c;
            }
            out[d] = choices[d].length == 0 ? Double.NaN : s / choices[d].length;
        }
        return out;
    }

    static double nanMean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /** Indices into each domain's SFT items and multiple-choice items; the identity is the full test set. */
    public record Resample(int[][] sft, int[][] mc) {
        public static Resample identity(int[] sftSizes, int[] mcSizes) {
            return new Resample(range(sftSizes), range(mcSizes));
        }

        private static int[][] range(int[] sizes) {
            int[][] out = new int[sizes.length][];
            for (int d = 0; d < sizes.length; d++) {
                out[d] = IntStream.range(0, sizes[d]).toArray();
            }
            return out;
        }
    }

    public void write(Configuration conf, String path, String model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("domains", domains);
        m.put("sft_ids", sftIds);
        m.put("nll", nll);
        m.put("tokens", tokens);
        m.put("mc_ids", mcIds);
        m.put("correct", correct);
        m.put("choices", choices);
        Json.write(conf, path, m);
    }

    /** The scores at {@code path}, or its gzip-compressed copy {@code path.gz} (as results are committed). */
    public static TestScores read(Configuration conf, String path) {
        if (!OutputFiles.exists(conf, path) && OutputFiles.exists(conf, path + ".gz")) {
            path = path + ".gz";
        }
        Map<String, Object> m = Json.readMap(conf, path);
        try {
            @SuppressWarnings("unchecked")
            List<String> domains = (List<String>) m.get("domains");
            return new TestScores(domains, Json.MAPPER.convertValue(m.get("sft_ids"), String[][].class),
                    Json.MAPPER.convertValue(m.get("nll"), double[][].class), Json.MAPPER.convertValue(m.get("tokens"), double[][].class),
                    Json.MAPPER.convertValue(m.get("mc_ids"), String[][].class), Json.MAPPER.convertValue(m.get("correct"), int[][].class),
                    Json.MAPPER.convertValue(m.get("choices"), int[][].class));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("test scores " + path + " are unreadable: " + e.getMessage(), e);
        }
    }
}
