package org.versatune.pipeline.mixture;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A composed mixture exported in each format, read back with other parsers and counted against its manifest. */
@ExtendWith(SparkExtension.class)
class MixtureExportTest {
    static final Settings S = Settings.defaults();

    @Test
    void everyFormatReadsBackWithTheManifestsCounts(SparkSession spark, @TempDir Path dir) throws Exception {
        String mix = dir.resolve("mix").toString();
        // custom weights with a repeat: law is asked for more records than the sample holds (shortage: replace)
        ComposeStage.run(spark, S, List.of(Samples.sft()), new ComposeStage.Request("custom", null, null, null,
                "law=0.5,medicine=0.1,finance=0.1,science=0.1,code=0.1,general=0.1", 800L, null, 0), mix, false);
        Map<String, Long> expected = new HashMap<>();
        ((Map<?, ?>) Json.readMap(new Configuration(), mix + "/manifest.json").get("domains")).forEach((d, v) ->
                expected.put((String) d, ((Number) ((Map<?, ?>) v).get("realised")).longValue()));
        assertThat(expected.get("law")).isEqualTo(400L);

        // llama-factory: Alpaca arrays per domain, a dataset_info entry each, interleave_probs from the counts
        String lf = dir.resolve("lf").toString();
        Map<String, Object> stats = MixtureExport.run(spark, S, mix, "llama-factory", lf, false);
        assertThat(stats).containsEntry("records", 800L);
        JsonNode info = Json.MAPPER.readTree(dir.resolve("lf/dataset_info.json").toFile());
        Map<String, Long> found = new HashMap<>();
        info.fields().forEachRemaining(e -> {
            try {
                JsonNode rows = Json.MAPPER.readTree(dir.resolve("lf").resolve(e.getValue().get("file_name").asText()).toFile());
                found.put(e.getKey().substring("versatune_".length()), (long) rows.size());
                assertThat(rows.get(0).has("instruction") && rows.get(0).has("output")).isTrue();
            } catch (Exception ex) {
                throw new AssertionError(ex);
            }
        });
        assertThat(found).isEqualTo(expected);
        assertThat(Files.readString(dir.resolve("lf/mixture.yaml"))).contains("interleave_probs: 0.500000,0.100000");

        // hf-parquet: data/train-*.parquet and a card
        String hf = dir.resolve("hf").toString();
        MixtureExport.run(spark, S, mix, "hf-parquet", hf, false);
        Map<String, Long> rows = new HashMap<>();
        for (Row r : spark.read().parquet(hf + "/data").groupBy("domain").count().collectAsList()) {
            rows.put(r.getString(0), r.getLong(1));
        }
        assertThat(rows).isEqualTo(expected);
        assertThat(Files.list(dir.resolve("hf/data")).map(p -> p.getFileName().toString())).allMatch(n -> n.matches("train-\\d{5}-of-\\d{5}\\.parquet"));
        assertThat(Files.readString(dir.resolve("hf/README.md"))).contains("| law | 400 | 0.500000 |");

        // jsonl: chat messages, one record per line
        String jl = dir.resolve("jl").toString();
        MixtureExport.run(spark, S, mix, "jsonl", jl, false);
        List<String> lines = Files.readAllLines(dir.resolve("jl/mixture.jsonl"));
        assertThat(lines).hasSize(800);
        JsonNode first = Json.MAPPER.readTree(lines.get(0));
        assertThat(first.get("messages").get(0).get("role").asText()).isEqualTo("user");
        assertThat(first.get("messages").get(1).get("role").asText()).isEqualTo("assistant");

        // and with Python's own parsers, where Python is installed (CI has it)
        if (new ProcessBuilder("python3", "--version").start().waitFor() == 0) {
            for (String[] f : new String[][]{{lf, "llama-factory"}, {hf, "hf-parquet"}, {jl, "jsonl"}}) {
                Process p = new ProcessBuilder("python3", Path.of("..", "bench", "check-export.py").toString(), f[0], f[1], mix)
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                assertThat(p.waitFor()).as(out).isZero();
                assertThat(out).contains("\"ok\": true");
            }
        }

        // exports are outputs like any other: not overwritten unless asked; unknown formats named
        assertThat(MixtureExport.run(spark, S, mix, "jsonl", jl, false)).containsEntry("skipped", true);
        assertThatThrownBy(() -> MixtureExport.run(spark, S, mix, "jsonl", mix, false))
                .hasMessageContaining("not a completed export output");
        assertThatThrownBy(() -> MixtureExport.run(spark, S, mix, "alpaca-xml", dir.resolve("x").toString(), false))
                .hasMessageContaining("llama-factory");
    }
}
