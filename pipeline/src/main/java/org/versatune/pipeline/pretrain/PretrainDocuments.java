package org.versatune.pipeline.pretrain;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.versatune.pipeline.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;

/**
 * Which documents a base model was pretrained on and which it never saw (held out), by content id, saved beside
 * the checkpoint as {@value #FILE}. The probe calibrates on the held-out ones by default and never on a trained
 * one, so the model's continuations are not recitations of its training text.
 */
public record PretrainDocuments(List<String> inputs, String dataRoot, List<String> files, long seed, double heldoutFraction,
                                Map<String, List<String>> heldout, Map<String, List<String>> trained,
                                Map<String, List<String>> unselected) {
    public static final String FILE = "pretrain-documents.json";

    /**
     * Collects the ids (a few tens of bytes per document) of documents with columns id, domain, heldout. The files
     * are recorded relative to a data root (the folder above the one that holds them all), so a model that moves to
     * another machine, or into git, finds its text again under the root its user names.
     */
    static PretrainDocuments of(Dataset<Row> docs, Set<String> selected, List<String> inputs, List<String> files, long seed,
                                double fraction) {
        Map<String, List<String>> held = new TreeMap<>();
        Map<String, List<String>> trained = new TreeMap<>();
        Map<String, List<String>> unselected = new TreeMap<>();
        for (Row r : docs.select(col("domain"), col("id"), col("heldout")).orderBy("domain", "id").collectAsList()) {
            // trained: a window of it was selected; a document the mixture's budget never reached was not trained on
            (r.getBoolean(2) ? held : selected.contains(r.getString(1)) ? trained : unselected)
                    .computeIfAbsent(r.getString(0), d -> new ArrayList<>()).add(r.getString(1));
        }
        Path root = dataRoot(files);
        List<String> relative = new ArrayList<>();
        for (String f : files) {
            relative.add(root == null ? f : root.toUri().relativize(new Path(f).toUri()).getPath());
        }
        return new PretrainDocuments(inputs, root == null ? null : root.toString(), relative, seed, fraction, held, trained,
                unselected);
    }

    /** The parent of the deepest folder holding every file (null when there is none). */
    static Path dataRoot(List<String> files) {
        Path common = null;
        for (String f : files) {
            Path dir = new Path(f).getParent();
            if (common == null) {
                common = dir;
            }
            while (common != null && !(dir.toString() + "/").startsWith(common.toString().endsWith("/") ? common.toString()
                    : common + "/")) {
                common = common.getParent();
            }
        }
        return common == null ? null : common.getParent();
    }

    /**
     * The files' paths: under {@code root} when given, else under the recorded data root (a record without one holds
     * full paths).
     */
    public List<String> files(String root) {
        String base = root != null ? root : dataRoot;
        return base == null ? files : files.stream().map(f -> new Path(base, f).toString()).toList();
    }

    public void write(Configuration conf, String modelDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("inputs", inputs);
        m.put("data_root", dataRoot);
        m.put("files", files);
        m.put("seed", seed);
        m.put("heldout_fraction", heldoutFraction);
        m.put("heldout", heldout);
        m.put("trained", trained);
        m.put("unselected", unselected);
        Json.write(conf, new Path(modelDir, FILE).toString(), m);
    }

    /** The record beside a model, or null when the model has none (trained elsewhere or by an older version). */
    @SuppressWarnings("unchecked")
    public static PretrainDocuments read(Configuration conf, String modelDir) {
        Path p = new Path(modelDir, FILE);
        try {
            if (!p.getFileSystem(conf).exists(p)) {
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + p + ": " + e.getMessage(), e);
        }
        Map<String, Object> m = Json.readMap(conf, p.toString());
        try {
            return new PretrainDocuments((List<String>) m.get("inputs"), (String) m.get("data_root"), (List<String>) m.get("files"),
                    ((Number) m.get("seed")).longValue(), ((Number) m.get("heldout_fraction")).doubleValue(),
                    (Map<String, List<String>>) m.get("heldout"), (Map<String, List<String>>) m.get("trained"),
                    m.get("unselected") == null ? Map.of() : (Map<String, List<String>>) m.get("unselected"));
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(p + " is not a pretraining document record: " + e.getMessage(), e);
        }
    }

    public Set<String> heldoutIds() {
        Set<String> s = new HashSet<>();
        heldout.values().forEach(s::addAll);
        return s;
    }

    public Set<String> trainedIds() {
        Set<String> s = new HashSet<>();
        trained.values().forEach(s::addAll);
        return s;
    }
}
