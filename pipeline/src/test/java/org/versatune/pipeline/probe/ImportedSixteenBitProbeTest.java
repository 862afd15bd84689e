package org.versatune.pipeline.probe;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.lm.HfCheckpoint;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.ModelPayload;
import org.versatune.pipeline.lm.SixteenBitFixture;
import org.versatune.pipeline.mixture.ComposeStage;
import org.versatune.pipeline.mixture.MixtureExport;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A BF16 Qwen2-family checkpoint imported, saved as ours and probed on the executors end to end, in both of the ways
 * a model reaches them (broadcast, or read from its saved path), then composed from and exported.
 */
@ExtendWith(SparkExtension.class)
class ImportedSixteenBitProbeTest {
    static final Settings S = KnowledgeProbeTest.S.with("compose.allow-untrusted-probe", true);

    @Test
    void aBf16ImportIsProbedFromItsPathOrABroadcastAndAMixtureComposedAndExported(SparkSession spark, @TempDir Path dir)
            throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        LmCheckpoint imported = HfCheckpoint.read(SixteenBitFixture.bf16Copy(dir.resolve("hf-bf16")));
        String model = dir.resolve("model").toString();
        imported.save(conf, model);
        LmCheckpoint saved = LmCheckpoint.load(conf, model);
        assertThat(saved.params().dataType()).isEqualTo(DataType.BFLOAT16);

        // small models are broadcast; above versatune.lm.broadcast-max-bytes, executors read the saved path
        Settings viaPath = S.with("lm.broadcast-max-bytes", 0);
        assertThat(ModelPayload.of(spark, S, saved).route()).isEqualTo(ModelPayload.Route.BROADCAST);
        assertThat(ModelPayload.of(spark, viaPath, saved).route()).isEqualTo(ModelPayload.Route.PATH);
        assertThat(ModelPayload.of(spark, viaPath, imported).route()).as("made in memory: no path to read")
                .isEqualTo(ModelPayload.Route.BROADCAST);
        List<Row> broadcast = ProbeGeneration.generate(spark, S, saved, 12, 5).orderBy("id").collectAsList();
        List<Row> fromPath = ProbeGeneration.generate(spark, viaPath, saved, 12, 5).orderBy("id").collectAsList();
        assertThat(broadcast).hasSize(12).isEqualTo(fromPath);
        assertThat(broadcast).allSatisfy(r -> assertThat(r.getString(2)).isNotEmpty());

        String clf = dir.resolve("clf").toString();
        ClassifierStage.train(spark, S.with("classifier.max-iter", 10), List.of(Samples.sft()), clf, false);
        Map<String, Object> stats = KnowledgeProbe.run(spark, viaPath, model, clf, 16, dir.resolve("probe").toString(), false);
        assertThat(stats).containsEntry("samples", 16);
        Path distribution = dir.resolve("probe/distribution.json");
        assertThat(Files.readString(distribution)).contains("\"corrected\"");

        String mix = dir.resolve("mix").toString();
        Map<String, Object> manifest = ComposeStage.run(spark, S, List.of(Samples.sft()), new ComposeStage.Request("versatune",
                distribution.toString(), null, null, null, 120L, null, 0), mix, false);
        assertThat(manifest).containsEntry("strategy", "versatune").containsEntry("realised_total", 120L);
        Map<String, Object> exported = MixtureExport.run(spark, S, mix, "jsonl", dir.resolve("export").toString(), false);
        assertThat(exported).containsEntry("records", 120L);
        assertThat(Files.readAllLines(dir.resolve("export/mixture.jsonl"))).hasSize(120);
        assertThat(Json.readMap(conf, mix + "/manifest.json")).containsKey("domains");
    }
}
