package org.versatune.pipeline.mixture;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.schema.TableSchema;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
class ComposeStageTest {
    static final Settings S = Settings.defaults();
    static String pool;

    @BeforeAll
    static void ingest(SparkSession spark, @TempDir Path dir) {
        String out = dir.resolve("ingest").toString();
        Ingest.run(spark, S, List.of(Samples.sft()), null, out, false);
        pool = out + "/records";
    }

    static List<Row> rows(SparkSession spark, String path) {
        return TableSchema.of("mixture").read(spark, path).orderBy("domain", "mixture_rank", "copy", "id").collectAsList();
    }

    @Test
    void exactCountsDeterministicAcrossPartitionings(SparkSession spark, @TempDir Path dir) {
        ComposeStage.Request r = new ComposeStage.Request("custom", null, null, null,
                "law=0.123,medicine=0.456,finance=0.2,science=0.221", 1000L, "replace", 1);
        Dataset<Row> p1 = ComposeStage.readPool(spark, S, List.of(pool)).repartition(1);
        Dataset<Row> p4 = ComposeStage.readPool(spark, S, List.of(pool)).repartition(4);
        Map<String, Object> m1 = ComposeStage.compose(spark, S, p1, r, dir.resolve("a").toString(), List.of(pool));
        Map<String, Object> m4 = ComposeStage.compose(spark, S, p4, r, dir.resolve("b").toString(), List.of(pool));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> d = (Map<String, Map<String, Object>>) m1.get("domains");
        assertThat(d.get("law").get("realised")).isEqualTo(123L);
        assertThat(d.get("medicine").get("realised")).isEqualTo(456L);
        assertThat(d.get("finance").get("realised")).isEqualTo(200L);
        assertThat(d.get("science").get("realised")).isEqualTo(221L);
        assertThat(d.get("code").get("realised")).isEqualTo(0L);
        // medicine has 320 records for 456 draws: every record once, 136 of them twice
        assertThat(d.get("medicine").get("repeated")).isEqualTo(136L);
        assertThat(rows(spark, dir.resolve("a").toString())).isEqualTo(rows(spark, dir.resolve("b").toString()));
        assertThat(m1.get("pool_fingerprint")).isEqualTo(m4.get("pool_fingerprint"));
    }

    @Test
    void theStageAndSeedChangeTheDrawAndRedistributeAvoidsRepeats(SparkSession spark, @TempDir Path dir) {
        Dataset<Row> p = ComposeStage.readPool(spark, S, List.of(pool));
        ComposeStage.compose(spark, S, p, new ComposeStage.Request("uniform", null, null, null, null, 300L, null, 1),
                dir.resolve("s1").toString(), List.of(pool));
        ComposeStage.compose(spark, S, p, new ComposeStage.Request("uniform", null, null, null, null, 300L, null, 2),
                dir.resolve("s2").toString(), List.of(pool));
        assertThat(rows(spark, dir.resolve("s1").toString())).isNotEqualTo(rows(spark, dir.resolve("s2").toString()));
        Map<String, Object> m = ComposeStage.compose(spark, S, p, new ComposeStage.Request("custom", null, null, null,
                "law=0.9,code=0.1", 500L, "redistribute", 0), dir.resolve("r").toString(), List.of(pool));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> d = (Map<String, Map<String, Object>>) m.get("domains");
        assertThat(d.get("law").get("requested")).isEqualTo(450L);
        assertThat(d.get("law").get("realised")).isEqualTo(320L);
        assertThat(d.get("code").get("realised")).isEqualTo(180L);
        assertThat(d.get("law").get("repeated")).isEqualTo(0L);
    }

    @Test
    void stageWritesMixtureAndManifestAndTakesADistributionFile(SparkSession spark, @TempDir Path dir) throws Exception {
        Path dist = Samples.write(dir.resolve("distribution.json"), "{\"domains\": {"
                + "\"law\": {\"raw\": 0.2, \"corrected\": 0.1}, \"medicine\": {\"raw\": 0.2, \"corrected\": 0.1},"
                + "\"finance\": {\"raw\": 0.1, \"corrected\": 0.05}, \"science\": {\"raw\": 0.1, \"corrected\": 0.15},"
                + "\"code\": {\"raw\": 0.2, \"corrected\": 0.25}, \"general\": {\"raw\": 0.2, \"corrected\": 0.35}},"
                + "\"trust\": {\"verdict\": \"trusted\", \"reasons\": []}}");
        String out = dir.resolve("mix").toString();
        Map<String, Object> m = ComposeStage.run(spark, S, List.of(pool), new ComposeStage.Request("versatune", dist.toString(),
                null, null, null, 200L, null, 0), out, false);
        assertThat(m).containsEntry("strategy", "versatune").containsEntry("realised_total", 200L);
        assertThat(Files.readString(dir.resolve("mix/manifest.json"))).contains("\"realised_share\"", "\"pool_fingerprint\"");
        assertThat(Files.isDirectory(dir.resolve("mix/mixture/domain=general"))).isTrue();
        Map<String, Object> fromFile = ComposeStage.run(spark, S, List.of(pool), new ComposeStage.Request(dist.toString(), null,
                null, null, null, 200L, null, 0), dir.resolve("mix2").toString(), false);
        assertThat(fromFile.get("weights")).isEqualTo(m.get("weights"));
        assertThatThrownBy(() -> ComposeStage.run(spark, S, List.of(pool), new ComposeStage.Request("versatune", null,
                null, null, null, 200L, null, 0), dir.resolve("mix3").toString(), false)).hasMessageContaining("distribution.json");
        Path bad = Samples.write(dir.resolve("bad.json"), "{\"law\": -0.5, \"code\": 1.5}");
        assertThatThrownBy(() -> ComposeStage.run(spark, S, List.of(pool), new ComposeStage.Request(bad.toString(), null,
                null, null, null, 200L, null, 0), dir.resolve("mix4").toString(), false)).hasMessageContaining("negative");
        Path nan = Samples.write(dir.resolve("nan.json"), "{\"domains\": {\"law\": {\"corrected\": \"NaN\"}}}");
        assertThatThrownBy(() -> ComposeStage.run(spark, S, List.of(pool), new ComposeStage.Request(nan.toString(), null,
                null, null, null, 200L, null, 0), dir.resolve("mix5").toString(), false)).hasMessageContaining("corrected");
    }

    @Test
    void anUntrustedProbeIsRefusedUnlessAllowed(SparkSession spark, @TempDir Path dir) throws Exception {
        Path dist = Samples.write(dir.resolve("distribution.json"), "{\"domains\": {"
                + "\"law\": {\"corrected\": 0.1}, \"medicine\": {\"corrected\": 0.1}, \"finance\": {\"corrected\": 0.05},"
                + "\"science\": {\"corrected\": 0.15}, \"code\": {\"corrected\": 0.25}, \"general\": {\"corrected\": 0.35}},"
                + "\"trust\": {\"verdict\": \"untrusted\", \"reasons\": [\"3 of 256 samples labelled (1%, under 50%)\"]}}");
        assertThatThrownBy(() -> ComposeStage.run(spark, S, List.of(pool), new ComposeStage.Request("versatune", dist.toString(),
                null, null, null, 200L, null, 0), dir.resolve("refused").toString(), false))
                .hasMessageContaining("not trustworthy").hasMessageContaining("3 of 256 samples labelled")
                .hasMessageContaining("--allow-untrusted-probe");
        assertThat(Files.exists(dir.resolve("refused"))).isFalse();
        Map<String, Object> m = ComposeStage.run(spark, S.with("compose.allow-untrusted-probe", true), List.of(pool),
                new ComposeStage.Request("versatune", dist.toString(), null, null, null, 200L, null, 0), dir.resolve("allowed").toString(), false);
        assertThat(m).containsEntry("realised_total", 200L);
        // strategies that do not compose from the probe never read it: its verdict cannot stop them
        Map.Entry<String, MixtureWeights> uniform = ComposeStage.weights(spark.sparkContext().hadoopConfiguration(), S,
                new ComposeStage.Request("uniform", dist.toString(), null, null, null, 200L, null, 0), new long[]{9, 9, 9, 9, 9, 9});
        assertThat(uniform.getKey()).isEqualTo("uniform");
        assertThat(uniform.getValue().toArray()).containsOnly(new double[]{1.0 / 6}, within(1e-12));
    }
}
