package org.versatune.pipeline.probe;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.io.InputPaths;
import org.versatune.pipeline.io.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Texts a model wrote somewhere else (any inference engine), read for the probe instead of generating them: JSON
 * Lines or Parquet with a {@code text} field, an optional {@code id} (else {@code e<file>-<line>}) and, for
 * calibration continuations, the {@code domain} the prompt came from. Files are read in name order, records in
 * file order; a record without a usable field is refused naming the file, the record and the field.
 */
public final class ExternalSamples {
    private ExternalSamples() {
    }

    /** One external text. {@code domain} is null for probe samples. */
    public record Sample(String id, String text, String domain) {
    }

    public static List<Sample> read(SparkSession spark, List<String> inputs, boolean needDomain, Domains domains) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<String> files = new ArrayList<>(InputPaths.expand(conf, inputs));
        files.sort(null);
        List<Sample> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int f = 0; f < files.size(); f++) {
            String file = files.get(f);
            boolean parquet = file.toLowerCase(Locale.ROOT).endsWith(".parquet");
            List<String[]> records = parquet ? parquet(spark, file) : jsonLines(conf, file);
            for (int i = 0; i < records.size(); i++) {
                String[] r = records.get(i);
                String where = file + (parquet ? " row " : " line ") + (i + 1);
                if (r[1] == null) {
                    throw new IllegalArgumentException(where + ": no 'text' (a string): every sample needs the text the model wrote");
                }
                String id = r[0] != null ? r[0] : String.format(Locale.ROOT, "e%03d-%06d", f, i + 1);
                if (!ids.add(id)) {
                    throw new IllegalArgumentException(where + ": 'id' " + id + " appears twice");
                }
                if (needDomain && (r[2] == null || !domains.contains(r[2]))) {
                    throw new IllegalArgumentException(where + ": 'domain' " + (r[2] == null ? "is missing" : "'" + r[2]
                            + "' is not a configured domain " + domains.names()) + " (a calibration continuation names the domain of its prompt)");
                }
                out.add(new Sample(id, r[1], needDomain ? r[2] : null));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no samples in " + inputs);
        }
        return out;
    }

    /** [id, text, domain] of each line; blank lines are skipped. */
    private static List<String[]> jsonLines(Configuration conf, String file) {
        List<String[]> out = new ArrayList<>();
        Path path = new Path(file);
        try (InputStream raw = open(conf, path);
             BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8))) {
            String line;
            long n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                String s = line.strip();
                if (s.startsWith("\uFEFF")) {
                    s = s.substring(1);
                }
                if (s.isEmpty()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(s);
                } catch (IOException e) {
                    throw new IllegalArgumentException(file + " line " + n + ": not a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
                }
                out.add(new String[]{text(node, "id"), text(node, "text"), text(node, "domain")});
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The file's bytes, decompressed by its extension (.gz, .bz2, ...) as Hadoop does. */
    private static InputStream open(Configuration conf, Path path) throws IOException {
        InputStream in = path.getFileSystem(conf).open(path);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        return codec == null ? in : codec.createInputStream(in);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static List<String[]> parquet(SparkSession spark, String file) {
        var df = spark.read().parquet(file);
        List<String> cols = Arrays.asList(df.columns());
        if (!cols.contains("text")) {
            throw new IllegalArgumentException(file + ": no 'text' column (columns: " + cols + ")");
        }
        List<String[]> out = new ArrayList<>();
        for (Row r : df.collectAsList()) {
            out.add(new String[]{cols.contains("id") ? r.getAs("id") : null, r.getAs("text"), cols.contains("domain") ? r.getAs("domain") : null});
        }
        return out;
    }
}
