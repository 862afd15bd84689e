package org.versatune.pipeline.classify;

import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * Measures a classifier on labelled examples ({@code text, domain, kind}): metrics over all examples and per
 * kind (SFT pairs, raw-text chunks), each on the argmax prediction, plus the share under the confidence
 * threshold and the confusion among confident predictions (what the probe's correction needs).
 */
public final class ClassifierEvaluation {
    private ClassifierEvaluation() {
    }

    public static Map<String, Object> evaluate(DomainClassifierModel model, Dataset<Row> examples) {
        List<String> domains = model.domains();
        double threshold = model.getConfidenceThreshold();
        DomainClassifierModel argmax = model.copy(new ParamMap())
                .setConfidenceThreshold(0.0).setTextCol("text")
                .setPredictionCol("_pred").setConfidenceCol("_conf").setProbabilitiesCol("_probs");
        List<Row> counts = argmax.transform(examples.select("text", "domain", "kind"))
                .groupBy(col("domain"), col("kind"), col("_pred"), col("_conf").geq(threshold).as("confident"))
                .count().collectAsList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("confidence_threshold", threshold);
        out.put("all", section(domains, counts, null, false));
        for (String kind : List.of("sft", "text")) {
            if (counts.stream().anyMatch(r -> kind.equals(r.getString(1)))) {
                out.put(kind, section(domains, counts, kind, false));
            }
        }
        // the probe labels generated prose: its correction uses the confident confusion on text chunks if any
        String probeKind = counts.stream().anyMatch(r -> "text".equals(r.getString(1))) ? "text" : null;
        Map<String, Object> confident = section(domains, counts, probeKind, true);
        confident.put("kind", probeKind == null ? "all" : probeKind);
        out.put("confident", confident);
        return out;
    }

    private static Map<String, Object> section(List<String> domains, List<Row> counts, String kind, boolean confidentOnly) {
        int k = domains.size();
        long[][] confusion = new long[k][k];
        long total = 0;
        long unconfident = 0;
        long unknownLabel = 0;
        for (Row r : counts) {
            if (kind != null && !kind.equals(r.getString(1))) {
                continue;
            }
            long n = r.getLong(4);
            int t = domains.indexOf(r.getString(0));
            if (t < 0) {
                unknownLabel += n;
                continue;
            }
            total += n;
            if (!r.getBoolean(3)) {
                unconfident += n;
                if (confidentOnly) {
                    continue;
                }
            }
            confusion[t][domains.indexOf(r.getString(2))] += n;
        }
        Map<String, Object> m = new ClassificationMetrics(domains, confusion).toJson();
        m.put("unlabeled_rate", total == 0 ? 0.0 : (double) unconfident / total);
        if (unknownLabel > 0) {
            m.put("ignored_unknown_labels", unknownLabel);
        }
        return m;
    }
}
