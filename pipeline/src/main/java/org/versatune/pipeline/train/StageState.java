package org.versatune.pipeline.train;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.versatune.pipeline.domain.Domains;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one committed stage of a training run recorded ({@code stage-<k>/state.json}): the weights it trained with,
 * the records realised per domain, its evaluation losses and the update's terms, the weights and best losses the
 * next stage starts from, and where the optimiser's step count stands. Arrays are in the configured domain order.
 */
public record StageState(int stage, double[] weights, Map<String, Long> records, double[] loss, double[] reference,
                         double[] bestPrevious, double[] potential, double[] forgetting, double[] score, boolean reweighted,
                         double[] nextWeights, double[] bestAfter, long stepStart, long stepEnd, long totalSteps,
                         Map<String, Double> seconds) {

    public Map<String, Object> toJson(Domains d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stage", stage);
        m.put("weights", d.toMap(weights));
        m.put("records", records);
        m.put("loss", d.toMap(loss));
        m.put("reference_loss", d.toMap(reference));
        m.put("best_previous", d.toMap(bestPrevious));
        m.put("learnable_potential", d.toMap(potential));
        m.put("forgetting_degree", d.toMap(forgetting));
        m.put("score", d.toMap(score));
        m.put("reweighted", reweighted);
        m.put("next_weights", d.toMap(nextWeights));
        m.put("best_after", d.toMap(bestAfter));
        m.put("step_start", stepStart);
        m.put("step_end", stepEnd);
        m.put("total_steps", totalSteps);
        m.put("seconds", seconds);
        return m;
    }

    /** Reads a saved state, naming the file and the field when one is missing or of the wrong kind. */
    public static StageState read(Map<String, Object> m, Domains d, String file) {
        try {
            Map<String, Long> records = new LinkedHashMap<>();
            ((Map<?, ?>) m.get("records")).forEach((k, v) -> records.put((String) k, ((Number) v).longValue()));
            Map<String, Double> seconds = new LinkedHashMap<>();
            if (m.get("seconds") instanceof Map<?, ?> s) {
                s.forEach((k, v) -> seconds.put((String) k, ((Number) v).doubleValue()));
            }
            return new StageState(((Number) m.get("stage")).intValue(), array(m, "weights", d, file), records,
                    array(m, "loss", d, file), array(m, "reference_loss", d, file), array(m, "best_previous", d, file),
                    array(m, "learnable_potential", d, file), array(m, "forgetting_degree", d, file), array(m, "score", d, file),
                    Boolean.TRUE.equals(m.get("reweighted")), array(m, "next_weights", d, file), array(m, "best_after", d, file),
                    ((Number) m.get("step_start")).longValue(), ((Number) m.get("step_end")).longValue(),
                    ((Number) m.get("total_steps")).longValue(), seconds);
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("stage state " + file + " is incomplete or malformed: " + e.getMessage(), e);
        }
    }

    private static double[] array(Map<String, Object> m, String key, Domains d, String file) {
        if (!(m.get(key) instanceof Map<?, ?> v)) {
            throw new IllegalArgumentException("stage state " + file + " lacks '" + key + "'");
        }
        Map<String, Number> n = new LinkedHashMap<>();
        v.forEach((k, x) -> n.put((String) k, (Number) x));
        return d.fromMap(n, file + " " + key);
    }

    /** Rows of the weight_history table, one per domain. */
    public List<Row> historyRows(Domains d) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            rows.add(RowFactory.create(stage, d.name(i), weights[i], records.get(d.name(i)), loss[i], reference[i],
                    bestPrevious[i], potential[i], forgetting[i], score[i], nextWeights[i]));
        }
        return rows;
    }

    /** The summary a user reads per stage ({@code weights-stage-<k>.json}). */
    public Map<String, Object> weightsFile(Domains d) {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("stage", stage);
        w.put("weights", d.toMap(weights));
        w.put("next_weights", d.toMap(nextWeights));
        w.put("loss", d.toMap(loss));
        w.put("learnable_potential", d.toMap(potential));
        w.put("forgetting_degree", d.toMap(forgetting));
        w.put("score", d.toMap(score));
        w.put("reweighted", reweighted);
        return w;
    }
}
