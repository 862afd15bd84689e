package org.versatune.pipeline.probe;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.domain.Domains;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
class KnowledgeProbeTest {
    static final Settings S = Settings.load(List.of(), List.of("probe.chunk-rows=16", "lm.generate.max-tokens=12",
            "classifier.num-features=65536", "classifier.max-iter=30"));

    static LmCheckpoint tinyModel() {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held", "def f(x): return x", "blood pressure"), 300);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 16, 32, 1, 2, 2, LmConfig.RELU);
        return new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 3, DataType.FLOAT).params(), null, Map.of());
    }

    @Test
    void generationDependsOnTheSeedNotOnThePartitioning(SparkSession spark) {
        LmCheckpoint m = tinyModel();
        Settings two = S.with("probe.partitions", 2);
        Settings five = S.with("probe.partitions", 5);
        List<Row> a = KnowledgeProbe.generate(spark, two, m, 70, 11).orderBy("id").collectAsList();
        List<Row> b = KnowledgeProbe.generate(spark, five, m, 70, 11).orderBy("id").collectAsList();
        List<Row> c = KnowledgeProbe.generate(spark, two, m, 70, 12).orderBy("id").collectAsList();
        assertThat(a).hasSize(70).isEqualTo(b).isNotEqualTo(c);
        assertThat(a.get(69).getString(0)).isEqualTo("s00004-005");
    }

    @Test
    void distributionReportsSharesIntervalsCorrectionAndUnlabeled() {
        Domains d = Domains.of("a", "b");
        Map<String, Object> m = KnowledgeProbe.distribution(d, Map.of("a", 30L, "b", 70L), 12,
                new double[][]{{0.9, 0.1}, {0.1, 0.9}}, 500, 1);
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> per = (Map<String, Map<String, Object>>) m.get("domains");
        assertThat((Double) per.get("a").get("raw")).isCloseTo(0.3, within(1e-12));
        assertThat((Double) per.get("a").get("corrected")).isCloseTo(0.25, within(1e-9));   // (0.3 - 0.1) / 0.8
        assertThat((Double) per.get("a").get("low")).isLessThan(0.3);
        assertThat((Double) per.get("a").get("high")).isGreaterThan(0.3);
        assertThat(per.get("b").get("count")).isEqualTo(70L);
        assertThat(m).containsEntry("unlabeled", 12L).containsEntry("labeled", 100L);
        assertThat(KnowledgeProbe.shares(m, d, "corrected")[1]).isCloseTo(0.75, within(1e-9));
    }

    @Test
    void endToEndWritesSamplesAndDistribution(SparkSession spark, @TempDir Path dir) throws Exception {
        String clf = dir.resolve("clf").toString();
        ClassifierStage.train(spark, S, List.of(Samples.sft(), Samples.pretrain()), clf, false);
        String model = dir.resolve("model").toString();
        tinyModel().save(spark.sparkContext().hadoopConfiguration(), model);
        Map<String, Object> stats = KnowledgeProbe.run(spark, S, model, clf, 40, dir.resolve("probe").toString(), false);
        assertThat(stats).containsEntry("samples", 40);
        assertThat(((Number) stats.get("labeled")).longValue() + ((Number) stats.get("unlabeled")).longValue()).isEqualTo(40);
        String json = Files.readString(dir.resolve("probe/distribution.json"));
        assertThat(json).contains("\"raw\"", "\"corrected\"", "\"low\"", "\"high\"", "\"count\"", "\"settings\"", "\"repetition-penalty\"");
        assertThat(Files.isDirectory(dir.resolve("probe/samples"))).isTrue();

        // with a calibration: every domain's openings continued, labels counted per true domain, shares inverted
        Settings cal = S.with("probe.calibration.input", List.of(Samples.pretrain())).with("probe.calibration.prompts-per-domain", 5)
                .with("probe.calibration.prompt-tokens", 4).with("probe.calibration.iterations", 2000).with("probe.interval-draws", 50);
        KnowledgeProbe.run(spark, cal, model, clf, 40, dir.resolve("probe-cal").toString(), false);
        Map<String, Object> dist = Json.readMap(new org.apache.hadoop.conf.Configuration(), dir.resolve("probe-cal/distribution.json").toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> calibration = (Map<String, Object>) dist.get("calibration");
        @SuppressWarnings("unchecked")
        List<List<Number>> counts = (List<List<Number>>) calibration.get("counts");
        assertThat(counts).hasSize(S.domains().size());
        for (List<Number> row : counts) {
            assertThat(row).hasSize(S.domains().size() + 1);
            assertThat(row.stream().mapToLong(Number::longValue).sum()).isEqualTo(5);
        }
        double[] corrected = KnowledgeProbe.shares(dist, S.domains(), "corrected");
        assertThat(java.util.Arrays.stream(corrected).sum()).isCloseTo(1.0, within(1e-9));
        assertThat(KnowledgeProbe.shares(dist, S.domains(), "corrected_confusion")).hasSize(S.domains().size());
        assertThat((String) dist.get("correction")).startsWith("calibrated");
    }
}
