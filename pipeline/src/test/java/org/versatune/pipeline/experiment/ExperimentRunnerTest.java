package org.versatune.pipeline.experiment;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.classify.ClassifierStage;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code versatune experiment} end to end on the bundled sample, with a tiny base model and budget. */
@ExtendWith(SparkExtension.class)
class ExperimentRunnerTest {

    @Test
    void runsEveryStrategyReusesFinishedRunsAddsSeedsAndRefusesChangedSettings(SparkSession spark, @TempDir Path dir) throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        BpeTokenizer tok = BpeTokenizer.train(List.of("the court held that the statute applies", "def f(x): return x",
                "blood pressure and the heart", "interest rates and the market"), 320);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 48, 32, 1, 2, 2, LmConfig.RELU);
        String base = dir.resolve("base").toString();
        new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 5, DataType.FLOAT).params(), null, Map.of()).save(conf, base);
        Settings s = Settings.load(List.of(), List.of("lm.train.local-steps=3", "lm.train.tokens-per-batch=512",
                "train.stages=2", "train.stage-size=40", "train.eval-max-records=8", "train.eval-max-mc-items=4",
                "train.warmup-steps=2", "reference.max-records=40", "reference.epochs=1", "probe.chunk-rows=16",
                "lm.generate.max-tokens=12", "classifier.num-features=65536", "classifier.max-iter=20", "experiment.probe-samples=24",
                // an untrained base's probe is untrustworthy by construction; the test is about running and resuming
                "compose.allow-untrusted-probe=true"))
                .with("experiment.base", base)
                .with("experiment.pool", List.of(Samples.sft()))
                .with("experiment.eval", List.of(Samples.sft(), Samples.eval()))
                .with("experiment.strategies", List.of("uniform", "versatune"))
                .with("experiment.seeds", List.of(1));
        String out = dir.resolve("exp").toString();

        Map<String, Object> first = ExperimentRunner.run(spark, s, out, false);
        assertThat(first).containsEntry("runs", 2);
        assertThat(StageOutput.isComplete(conf, out, ExperimentRunner.STAGE)).isTrue();
        for (String strategy : List.of("uniform", "versatune")) {
            assertThat(StageOutput.isComplete(conf, ExperimentRunner.runDir(out, strategy, 1), "train")).isTrue();
        }
        assertThat(Files.readAllLines(dir.resolve("exp/results.csv"))).hasSize(1 + 2 * s.domains().size());
        assertThat(Files.exists(dir.resolve("exp/report/index.html"))).isTrue();
        assertThat(Files.exists(dir.resolve("exp/probe/distribution.json"))).isTrue();

        // asked again: nothing to do
        assertThat(ExperimentRunner.run(spark, s, out, false)).containsEntry("skipped", true);

        // a second seed: the finished runs are reused, only the new ones train, the tables cover both seeds
        Path kept = dir.resolve("exp/runs/uniform/seed-1/summary.json");
        FileTime before = Files.getLastModifiedTime(kept);
        Settings twoSeeds = s.with("experiment.seeds", List.of(1, 2));
        Map<String, Object> second = ExperimentRunner.run(spark, twoSeeds, out, false);
        assertThat(second).containsEntry("runs", 4).doesNotContainKey("skipped");
        assertThat(Files.getLastModifiedTime(kept)).isEqualTo(before);
        assertThat(StageOutput.isComplete(conf, ExperimentRunner.runDir(out, "versatune", 2), "train")).isTrue();
        assertThat(Files.readAllLines(dir.resolve("exp/results.csv"))).hasSize(1 + 4 * s.domains().size());
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, Object>>> summary = (Map<String, Map<String, Map<String, Object>>>) (Object)
                Json.readMap(conf, out + "/summary.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> bySeed = (Map<String, Object>) summary.get("strategies").get("uniform").get("comprehensive_score_by_seed");
        assertThat(bySeed).containsOnlyKeys("1", "2");

        // any other change would mix runs that are not comparable: refused, naming the setting
        assertThatThrownBy(() -> ExperimentRunner.run(spark, twoSeeds.with("train.stage-size", 50), out, false))
                .isInstanceOf(StageOutput.OutputExistsException.class)
                .hasMessageContaining("train.stage-size");
    }
}
