package org.versatune.pipeline.experiment;

import org.apache.commons.io.FileUtils;
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
import java.util.zip.GZIPOutputStream;

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
                "compose.allow-untrusted-probe=true", "experiment.splits.test-records=12", "experiment.splits.validation-records=8",
                "experiment.bootstrap-draws=100", "experiment.expansion-target=law", "experiment.expansion-strategies=[versatune-expand]"))
                .with("experiment.base", base)
                .with("experiment.pool", List.of(Samples.sft()))
                .with("experiment.eval", List.of(Samples.eval()))
                .with("experiment.strategies", List.of("uniform", "versatune"))
                .with("experiment.seeds", List.of(1));
        String out = dir.resolve("exp").toString();

        Map<String, Object> first = ExperimentRunner.run(spark, s, out, false);
        assertThat(first).containsEntry("runs", 3);
        assertThat(StageOutput.isComplete(conf, out, ExperimentRunner.STAGE)).isTrue();
        for (String strategy : List.of("uniform", "versatune", "versatune-expand")) {
            assertThat(StageOutput.isComplete(conf, ExperimentRunner.runDir(out, strategy, 1), "train")).isTrue();
            assertThat(Files.exists(dir.resolve("exp/test-scores/" + strategy + "/seed-1.json"))).isTrue();
        }
        // the expansion run trained with the target's share bounded and re-weighted between its stages
        Map<String, Object> expand = Json.readMap(conf, ExperimentRunner.runDir(out, "versatune-expand", 1) + "/summary.json");
        assertThat(expand).containsEntry("reweight", true).containsEntry("strategy", "versatune-expand");
        // every run was driven by the validation set: its stage evaluations scored exactly the validation records
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> stageEval = (Map<String, Map<String, Object>>) (Object)
                Json.readMap(conf, ExperimentRunner.runDir(out, "uniform", 1) + "/stage-1/eval.json").get("domains");
        assertThat(((Number) stageEval.get("law").get("records")).longValue()).isEqualTo(8);
        assertThat(Files.readAllLines(dir.resolve("exp/results.csv"))).hasSize(1 + 3 * s.domains().size());
        assertThat(Files.exists(dir.resolve("exp/report/index.html"))).isTrue();
        assertThat(Files.exists(dir.resolve("exp/probe/distribution.json"))).isTrue();

        // asked again: nothing to do
        assertThat(ExperimentRunner.run(spark, s, out, false)).containsEntry("skipped", true);

        // a second seed: the finished runs are reused, only the new ones train, the tables cover both seeds
        Path kept = dir.resolve("exp/runs/uniform/seed-1/summary.json");
        FileTime before = Files.getLastModifiedTime(kept);
        Settings twoSeeds = s.with("experiment.seeds", List.of(1, 2));
        Map<String, Object> second = ExperimentRunner.run(spark, twoSeeds, out, false);
        assertThat(second).containsEntry("runs", 6).doesNotContainKey("skipped");
        assertThat(Files.getLastModifiedTime(kept)).isEqualTo(before);
        assertThat(StageOutput.isComplete(conf, ExperimentRunner.runDir(out, "versatune", 2), "train")).isTrue();
        assertThat(Files.readAllLines(dir.resolve("exp/results.csv"))).hasSize(1 + 6 * s.domains().size());
        // reference losses per seed, each chosen on the validation set and saying which seed made it
        assertThat(Json.readMap(conf, out + "/reference-seed-1.json")).containsEntry("seed", 1);
        assertThat(Json.readMap(conf, out + "/reference-seed-2.json")).containsEntry("seed", 2);
        assertThat(Json.readMap(conf, ExperimentRunner.runDir(out, "versatune", 2) + "/reference.json").get("domains"))
                .isEqualTo(Json.readMap(conf, ExperimentRunner.runDir(out, "uniform", 2) + "/reference.json").get("domains"))
                .isNotEqualTo(Json.readMap(conf, out + "/reference-seed-1.json").get("domains"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, Object>>> summary = (Map<String, Map<String, Map<String, Object>>>) (Object)
                Json.readMap(conf, out + "/summary.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> bySeed = (Map<String, Object>) summary.get("strategies").get("uniform").get("comprehensive_score_by_seed");
        assertThat(bySeed).containsOnlyKeys("1", "2");

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> claims = (List<Map<String, Object>>) (Object) summary.get("claims");
        assertThat(claims).extracting(c -> c.get("claim")).containsExactly("versatune > uniform");
        assertThat(claims.get(0)).containsKeys("score_difference", "score_verdict", "nll_change_difference", "nll_verdict");

        // the committed form of the results: config and gzip-compressed per-item scores alone rebuild the same tables
        Path committed = dir.resolve("committed");
        Files.createDirectories(committed);
        Files.copy(dir.resolve("exp/config.json"), committed.resolve("config.json"));
        try (var files = Files.walk(dir.resolve("exp/test-scores"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = committed.resolve(dir.resolve("exp").relativize(f) + ".gz");
                Files.createDirectories(to.getParent());
                try (var gz = new GZIPOutputStream(Files.newOutputStream(to))) {
                    Files.copy(f, gz);
                }
            }
        }
        ExperimentRunner.retabulate(conf, committed.toString());
        assertThat(Json.readMap(conf, committed + "/summary.json").get("claims")).isEqualTo(summary.get("claims"));
        assertThat(Files.exists(committed.resolve("report/index.html"))).isTrue();

        // re-scoring every finished run on another test set: new tables and report, the runs untouched
        Map<String, Object> again = ExperimentRunner.rescore(spark, out, List.of(Samples.sft(), Samples.eval()), "sample");
        assertThat(again).containsEntry("runs", 6);
        assertThat(((Number) again.get("test_records_sharing_content_with_the_pool")).longValue()).isPositive();
        assertThat(Files.readAllLines(dir.resolve("exp/rescore/sample/results.csv"))).hasSize(1 + 6 * s.domains().size());
        assertThat(Files.readString(dir.resolve("exp/rescore/sample/report/index.html"))).contains("id=\"verdicts\"");
        assertThat(Files.getLastModifiedTime(kept)).isEqualTo(before);

        // runs restored as their scores alone (a run folder lost, say, between sessions) are not trained again
        FileUtils.deleteDirectory(dir.resolve("exp/runs/versatune/seed-2").toFile());
        Files.delete(dir.resolve("exp/" + StageOutput.MARKER));
        ExperimentRunner.run(spark, twoSeeds, out, false);
        assertThat(dir.resolve("exp/runs/versatune/seed-2")).doesNotExist();
        assertThat(Files.getLastModifiedTime(kept)).isEqualTo(before);

        // any other change would mix runs that are not comparable: refused, naming the setting
        assertThatThrownBy(() -> ExperimentRunner.run(spark, twoSeeds.with("train.stage-size", 50), out, false))
                .isInstanceOf(StageOutput.OutputExistsException.class)
                .hasMessageContaining("train.stage-size");
    }

    @Test
    @SuppressWarnings("unchecked")
    void settingsAddedAfterAnExperimentStartedBlockItsResumeOnlyWhenSetOtherThanTheirDefault() throws Exception {
        // saved by an older build: it knew no probe.layout and no lm.model.family
        Settings old = Settings.load(List.of(), List.of("train.stage-size=100"));
        Map<String, Object> savedMap = Json.MAPPER.readValue(old.renderJson(), Map.class);
        Map<String, Object> root = (Map<String, Object>) savedMap.get(Settings.ROOT);
        ((Map<String, Object>) root.get("probe")).remove("layout");
        ((Map<String, Object>) ((Map<String, Object>) root.get("lm")).get("model")).remove("family");
        String saved = Json.write(savedMap);
        assertThat(ExperimentRunner.changedSettings(saved, Settings.load(List.of(), List.of("train.stage-size=100")))).isEmpty();
        assertThat(ExperimentRunner.changedSettings(saved, Settings.load(List.of(), List.of("train.stage-size=100",
                "probe.layout=packed-eos")))).containsExactly("probe.layout");
        assertThat(ExperimentRunner.changedSettings(saved, Settings.load(List.of(), List.of("train.stage-size=200"))))
                .containsExactly("train.stage-size");
    }

    @Test
    void oracleStartsFromTheBasesTrueMixAndEtaVariantsChangeOnlyTheStepSize(@TempDir Path dir) {
        Configuration conf = new Configuration();
        Settings s = Settings.defaults();
        String base = dir.resolve("base").toString();
        Json.write(conf, base + "/stats.json", Map.of("mix_realised", Map.of("law", 0.4, "medicine", 0.2, "finance", 0.1,
                "science", 0.1, "code", 0.1, "general", 0.1)));
        String file = ExperimentRunner.oracleWeights(conf, s, base, dir.resolve("exp").toString());
        assertThat(Json.readMap(conf, file).get("weights")).isEqualTo(Map.of("law", 0.4, "medicine", 0.2, "finance", 0.1,
                "science", 0.1, "code", 0.1, "general", 0.1));
        ExperimentRunner.Plan oracle = ExperimentRunner.plan("oracle-dynamic", s, file, null);
        assertThat(oracle.weights()).isEqualTo(file);
        assertThat(oracle.reweight()).isTrue();
        assertThat(ExperimentRunner.plan("oracle", s, file, null).reweight()).isFalse();
        ExperimentRunner.Plan uniformDynamic = ExperimentRunner.plan("uniform-dynamic", s, file, null);
        assertThat(uniformDynamic.weights()).isEqualTo("uniform");
        assertThat(uniformDynamic.reweight()).isTrue();
        assertThat(ExperimentRunner.plan("uniform", s, file, null).reweight()).isFalse();
        ExperimentRunner.Plan eta = ExperimentRunner.plan("versatune-dynamic-eta-3", s, file, null);
        assertThat(eta.weights()).isEqualTo("versatune");
        assertThat(eta.reweight()).isTrue();
        assertThat(eta.settings().section("train").getDouble("update.eta")).isEqualTo(3.0);
        assertThat(ExperimentRunner.strategies(s.with("experiment.eta-sensitivity", List.of(3.0, 0.5))))
                .endsWith("versatune-dynamic-eta-3", "versatune-dynamic-eta-0.5");
        assertThat(ExperimentRunner.claims(s.with("experiment.eta-sensitivity", List.of(3.0))))
                .contains("versatune > uniform").endsWith("versatune-dynamic-eta-3 > versatune-dynamic");
        // a base that does not record its mix (not made by pretrain): the oracle is refused by name
        assertThat(ExperimentRunner.oracleWeights(conf, s, dir.resolve("none").toString(), dir.resolve("exp2").toString())).isNull();
        assertThatThrownBy(() -> ExperimentRunner.plan("oracle", s, null, null)).hasMessageContaining("true pretraining mix");
    }
}
