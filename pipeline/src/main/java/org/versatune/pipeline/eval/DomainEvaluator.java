package org.versatune.pipeline.eval;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.Scorer;
import org.versatune.pipeline.lm.SftFormat;
import org.versatune.pipeline.lm.TransformerLm;

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

    /** One example to score, tagged with its domain. */
    public record Item(String domain, SftFormat.Example example) implements Serializable {
    }

    /** A multiple-choice question: one example per choice (same prompt), and the right answer's index. */
    public record Choice(String domain, List<SftFormat.Example> choices, int answer) implements Serializable {
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
        Broadcast<ModelPayload> bc = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        spark.sparkContext().setJobDescription(description);
        List<Map<String, Sums>> parts = items.mapPartitions((Iterator<Item> it) -> {
            List<Item> all = new ArrayList<>();
            it.forEachRemaining(all::add);
            Map<String, Sums> out = new HashMap<>();
            if (all.isEmpty()) {
                return List.of(out).iterator();
            }
            TransformerLm m = bc.value().load().newModel();
            List<SftFormat.Example> ex = new ArrayList<>(all.size());
            all.forEach(i -> ex.add(i.example()));
            Scorer.Score[] s = Scorer.score(m, ex, tokensPerBatch);
            for (int i = 0; i < s.length; i++) {
                out.merge(all.get(i).domain(), new Sums(s[i].nll(), s[i].tokens(), 1, 0, 0), Sums::plus);
            }
            return List.of(out).iterator();
        }).collect();
        spark.sparkContext().setJobDescription(null);
        bc.destroy();
        return merge(parts);
    }

    public static Map<String, Sums> multipleChoice(SparkSession spark, ModelPayload model, JavaRDD<Choice> items,
                                                  int tokensPerBatch, String description) {
        Broadcast<ModelPayload> bc = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        spark.sparkContext().setJobDescription(description);
        List<Map<String, Sums>> parts = items.mapPartitions((Iterator<Choice> it) -> {
            List<Choice> all = new ArrayList<>();
            it.forEachRemaining(all::add);
            Map<String, Sums> out = new HashMap<>();
            if (all.isEmpty()) {
                return List.of(out).iterator();
            }
            TransformerLm m = bc.value().load().newModel();
            List<SftFormat.Example> flat = new ArrayList<>();
            all.forEach(c -> flat.addAll(c.choices()));
            Scorer.Score[] s = Scorer.score(m, flat, tokensPerBatch);
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
                out.merge(c.domain(), new Sums(0, 0, 0, 1, best == c.answer() ? 1 : 0), Sums::plus);
            }
            return List.of(out).iterator();
        }).collect();
        spark.sparkContext().setJobDescription(null);
        bc.destroy();
        return merge(parts);
    }

    private static Map<String, Sums> merge(List<Map<String, Sums>> parts) {
        Map<String, Sums> total = new LinkedHashMap<>();
        for (Map<String, Sums> p : parts) {
            p.forEach((d, s) -> total.merge(d, s, Sums::plus));
        }
        return total;
    }
}
