package org.versatune.pipeline.mixture;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.schema.TableSchema;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * A composed mixture written in the formats other fine-tuning stacks read: {@code llama-factory} (Alpaca JSON per
 * domain, a {@code dataset_info.json} entry each and the mixture weights as the {@code interleave_probs} line),
 * {@code hf-parquet} (a Hugging Face datasets folder: {@code data/train-*.parquet} with instruction / input / output
 * columns and a README card with counts and weights) and {@code jsonl} (one record per line in chat
 * {@code messages} form). Every copy a record has in the mixture is written, in the mixture's draw order, so the
 * counts per domain are the manifest's.
 */
public final class MixtureExport {
    public static final String STAGE = "export";
    public static final List<String> FORMATS = List.of("llama-factory", "hf-parquet", "jsonl");

    private MixtureExport() {
    }

    /** Writes the mixture of the compose output {@code composed} as {@code format} into {@code output}. */
    public static Map<String, Object> run(SparkSession spark, Settings settings, String composed, String format, String output,
                                          boolean overwrite) {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("--export: unknown format '" + format + "'; one of " + FORMATS);
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        if (!StageOutput.isComplete(conf, composed, ComposeStage.STAGE)) {
            throw new IllegalArgumentException("'" + composed + "' is not a finished compose output");
        }
        Map<String, Object> manifest = Json.readMap(conf, new Path(composed, ComposeStage.MANIFEST).toString());
        return StageOutput.run(spark, settings, output, STAGE, overwrite, out -> {
            Dataset<Row> mixture = TableSchema.of("mixture").read(spark, new Path(composed, ComposeStage.MIXTURE).toString());
            long text = mixture.filter(col("kind").notEqual("sft")).count();
            if (text > 0) {
                throw new IllegalArgumentException("the mixture in " + composed + " holds " + text + " raw-text records; the "
                        + format + " export writes SFT records (instruction, input, output) only");
            }
            Map<String, Long> counts = new LinkedHashMap<>();
            Map<String, Double> weights = new LinkedHashMap<>();
            ((Map<?, ?>) manifest.get("domains")).forEach((d, v) -> {
                Map<?, ?> m = (Map<?, ?>) v;
                counts.put((String) d, ((Number) m.get("realised")).longValue());
            });
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            counts.forEach((d, n) -> weights.put(d, total == 0 ? 0 : (double) n / total));
            Dataset<Row> ordered = mixture.select("id", "domain", "instruction", "input", "output", "mixture_rank", "copy")
                    .orderBy("domain", "mixture_rank", "id", "copy");
            switch (format) {
                case "llama-factory" -> llamaFactory(conf, ordered, counts, weights, out);
                case "hf-parquet" -> hfParquet(conf, ordered, counts, weights, composed, out);
                default -> jsonl(conf, ordered, out);
            }
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("format", format);
            stats.put("mixture", composed);
            stats.put("records", total);
            stats.put("records_by_domain", counts);
            stats.put("weights", weights);
            return stats;
        });
    }

    private static Map<String, Object> alpaca(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("instruction", nz(r.getString(2)));
        m.put("input", nz(r.getString(3)));
        m.put("output", nz(r.getString(4)));
        return m;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** One Alpaca JSON array per domain, streamed record by record. */
    private static void llamaFactory(Configuration conf, Dataset<Row> ordered, Map<String, Long> counts, Map<String, Double> weights,
                                     StageOutput out) {
        Map<String, Object> info = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        List<String> probs = new ArrayList<>();
        for (String d : counts.keySet()) {
            String name = "versatune_" + d;
            try (BufferedWriter w = writer(conf, out.path(d + ".json"))) {
                w.write("[");
                boolean first = true;
                for (Iterator<Row> it = ordered.filter(col("domain").equalTo(d)).toLocalIterator(); it.hasNext(); ) {
                    w.write(first ? "\n  " : ",\n  ");
                    w.write(Json.line(alpaca(it.next())));
                    first = false;
                }
                w.write("\n]\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("file_name", d + ".json");
            entry.put("formatting", "alpaca");
            Map<String, Object> columns = new LinkedHashMap<>();
            columns.put("prompt", "instruction");
            columns.put("query", "input");
            columns.put("response", "output");
            entry.put("columns", columns);
            info.put(name, entry);
            names.add(name);
            probs.add(String.format(Locale.ROOT, "%.6f", weights.get(d)));
        }
        Json.write(conf, out.path("dataset_info.json"), info);
        // the lines to put in a LLaMA-Factory training config (dataset_dir: this folder)
        String yaml = "dataset: " + String.join(",", names) + "\n"
                + "mix_strategy: interleave_under\n"
                + "interleave_probs: " + String.join(",", probs) + "\n";
        Json.writeText(conf, out.path("mixture.yaml"), yaml);
    }

    /** Hugging Face datasets layout: data/train-0000k-of-0000n.parquet and a README card. */
    private static void hfParquet(Configuration conf, Dataset<Row> ordered, Map<String, Long> counts, Map<String, Double> weights,
                                  String composed, StageOutput out) {
        String tmp = out.path("_parquet");
        ordered.select("instruction", "input", "output", "domain", "id").coalesce(1).write().parquet(tmp);
        try {
            Path dir = new Path(tmp);
            FileSystem fs = dir.getFileSystem(conf);
            FileStatus[] parts = fs.listStatus(dir, p -> p.getName().endsWith(".parquet"));
            Arrays.sort(parts);
            Path data = new Path(out.path("data"));
            fs.mkdirs(data);
            for (int i = 0; i < parts.length; i++) {
                String name = String.format(Locale.ROOT, "train-%05d-of-%05d.parquet", i, parts.length);
                if (!fs.rename(parts[i].getPath(), new Path(data, name))) {
                    throw new IOException("cannot move " + parts[i].getPath() + " into " + data);
                }
            }
            fs.delete(dir, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StringBuilder card = new StringBuilder("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*.parquet\n---\n\n")
                .append("# VersaTune mixture\n\nComposed by `versatune compose` (").append(composed)
                .append("). Columns: instruction, input, output, domain, id; rows in the mixture's draw order.\n\n")
                .append("| domain | records | weight |\n|---|---|---|\n");
        counts.forEach((d, n) -> card.append("| ").append(d).append(" | ").append(n).append(" | ")
                .append(String.format(Locale.ROOT, "%.6f", weights.get(d))).append(" |\n"));
        Json.writeText(conf, out.path("README.md"), card.toString());
    }

    /** One JSON object per line: id, domain and the chat messages (instruction and input as the user's turn). */
    private static void jsonl(Configuration conf, Dataset<Row> ordered, StageOutput out) {
        try (BufferedWriter w = writer(conf, out.path("mixture.jsonl"))) {
            for (Iterator<Row> it = ordered.toLocalIterator(); it.hasNext(); ) {
                Row r = it.next();
                String user = nz(r.getString(2)) + (r.getString(3) == null || r.getString(3).isEmpty() ? "" : "\n\n" + r.getString(3));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", r.getString(0));
                m.put("domain", r.getString(1));
                m.put("messages", List.of(message("user", user), message("assistant", nz(r.getString(4)))));
                w.write(Json.line(m));
                w.write("\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static BufferedWriter writer(Configuration conf, String path) throws IOException {
        Path p = new Path(path);
        FSDataOutputStream s = p.getFileSystem(conf).create(p, false);
        return new BufferedWriter(new OutputStreamWriter(s, StandardCharsets.UTF_8));
    }
}
