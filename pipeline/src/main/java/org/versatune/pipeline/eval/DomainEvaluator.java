package org.versatune.pipeline.eval;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.NdThreads;
import org.versatune.pipeline.lm.Scorer;
import org.versatune.pipeline.lm.SftFormat;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Distributed per-domain scoring: the model is broadcast once and decoded once per executor JVM, each
 * partition scores its examples in batches and emits partial sums per domain (token NLL, tokens, records;
 * for multiple choice, items and correct answers), which the driver adds up.
 */
public final class DomainEvaluator {
    private DomainEvaluator() {
    }

    /** One example to score, tagged with its record's id and domain. */
    public record Item(String id, String domain, SftFormat.Example example) implements Serializable {
    }

    /** A multiple-choice question: one example per choice (same prompt), and the right answer's index. */
    public record Choice(String id, String domain, List<SftFormat.Example> choices, int answer) implements Serializable {
    }

    /**
     * One scored item: summed response NLL and its token count for an SFT record ({@code correct} = -1), or
     * whether the model picked the right answer of a multiple-choice item ({@code correct} 0 or 1) and how many
     * answers it had to choose from.
     */
    public record ItemScore(String id, String domain, double nll, double tokens, int correct, int choices) implements Serializable {
    }

    /** Sums for one domain. */
    public record Sums(double nll, double tokens, long records, long mcItems, long mcCorrect) implements Serializable {
        Sums plus(Sums o) {
            return new Sums(nll + o.nll, tokens + o.tokens, records + o.records, mcItems + o.mcItems, mcCorrect + o.mcCorrect);
        }

        public double meanNll() {
            return tokens == 0 ? Double.NaN : nll / tokens;
        }
    }

    public static Map<String, Sums> loss(SparkSession spark, ModelPayload model, JavaRDD<Item> items, int tokensPerBatch,
                                        String description) {
        return sums(scoreLosses(spark, model, items, tokensPerBatch, description));
    }

    public static Map<String, Sums> multipleChoice(SparkSession spark, ModelPayload model, JavaRDD<Choice> items,
                                                  int tokensPerBatch, String description) {
        return sums(scoreChoices(spark, model, items, tokensPerBatch, description));
    }

    /** Every SFT item's own score, in the items' order (paired comparisons resample these). */
    public static List<ItemScore> itemLosses(SparkSession spark, ModelPayload model, JavaRDD<Item> items, int tokensPerBatch,
                                             String description) {
        return flatten(scoreLosses(spark, model, items, tokensPerBatch, description));
    }

    /** Every multiple-choice item's own result, in the items' order. */
    public static List<ItemScore> itemChoices(SparkSession spark, ModelPayload model, JavaRDD<Choice> items, int tokensPerBatch,
                                              String description) {
        return flatten(scoreChoices(spark, model, items, tokensPerBatch, description));
    }

    /** One list of item scores per partition, in partition order. */
    private static List<List<ItemScore>> scoreLosses(SparkSession spark, ModelPayload model, JavaRDD<Item> items,
                                                     int tokensPerBatch, String description) {
        Broadcast<ModelPayload> bc = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        spark.sparkContext().setJobDescription(description);
        int threads = NdThreads.perTask(spark, items.getNumPartitions());
        try {
            return items.mapPartitions((Iterator<Item> it) -> {
                NdThreads.use(threads);
                List<Item> all = new ArrayList<>();
                it.forEachRemaining(all::add);
                List<ItemScore> out = new ArrayList<>(all.size());
                if (!all.isEmpty()) {
                    List<SftFormat.Example> ex = new ArrayList<>(all.size());
                    all.forEach(i -> ex.add(i.example()));
                    Scorer.Score[] s = Scorer.score(bc.value().load().newModel(), ex, tokensPerBatch);
                    for (int i = 0; i < s.length; i++) {
                        out.add(new ItemScore(all.get(i).id(), all.get(i).domain(), s[i].nll(), s[i].tokens(), -1, 0));
                    }
                }
                return List.of(out).iterator();
            }).collect();
        } finally {
            spark.sparkContext().setJobDescription(null);
            bc.destroy();
        }
    }

    /** The model's choice is the answer with the lowest mean token NLL. */
    private static List<List<ItemScore>> scoreChoices(SparkSession spark, ModelPayload model, JavaRDD<Choice> items,
                                                      int tokensPerBatch, String description) {
        Broadcast<ModelPayload> bc = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        spark.sparkContext().setJobDescription(description);
        int threads = NdThreads.perTask(spark, items.getNumPartitions());
        try {
            return items.mapPartitions((Iterator<Choice> it) -> {
                NdThreads.use(threads);
                List<Choice> all = new ArrayList<>();
                it.forEachRemaining(all::add);
                List<ItemScore> out = new ArrayList<>(all.size());
                if (all.isEmpty()) {
                    return List.of(out).iterator();
                }
                List<SftFormat.Example> flat = new ArrayList<>();
                all.forEach(c -> flat.addAll(c.choices()));
                Scorer.Score[] s = Scorer.score(bc.value().load().newModel(), flat, tokensPerBatch);
                int at = 0;
                for (Choice c : all) {
                    int best = -1;
                    double bestScore = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < c.choices().size(); k++) {
                        Scorer.Score sc = s[at + k];
                        double v = sc.tokens() == 0 ? Double.NEGATIVE_INFINITY : -sc.nll() / sc.tokens();
                        if (v > bestScore) {
                            bestScore = v;
                            best = k;
                        }
                    }
                    at += c.choices().size();
                    out.add(new ItemScore(c.id(), c.domain(), 0, 0, best == c.answer() ? 1 : 0, c.choices().size()));
                }
                return List.of(out).iterator();
            }).collect();
        } finally {
            spark.sparkContext().setJobDescription(null);
            bc.destroy();
        }
    }

    private static List<ItemScore> flatten(List<List<ItemScore>> parts) {
        List<ItemScore> all = new ArrayList<>();
        parts.forEach(all::addAll);
        return all;
    }

    /** Per-domain sums, added partition by partition in order (the same result whatever ran where). */
    private static Map<String, Sums> sums(List<List<ItemScore>> parts) {
        List<Map<String, Sums>> perPart = new ArrayList<>();
        for (List<ItemScore> p : parts) {
            Map<String, Sums> m = new HashMap<>();
            for (ItemScore s : p) {
                m.merge(s.domain(), s.correct() < 0 ? new Sums(s.nll(), s.tokens(), 1, 0, 0)
                        : new Sums(0, 0, 0, 1, s.correct()), Sums::plus);
            }
            perPart.add(m);
        }
        return merge(perPart);
    }

    private static Map<String, Sums> merge(List<Map<String, Sums>> parts) {
        Map<String, Sums> total = new LinkedHashMap<>();
        for (Map<String, Sums> p : parts) {
            p.forEach((d, s) -> total.merge(d, s, Sums::plus));
        }
        return total;
    }
}
