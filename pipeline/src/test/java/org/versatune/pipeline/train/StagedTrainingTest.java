package org.versatune.pipeline.train;

import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.ingest.Ingest;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.io.StageOutput;
import org.versatune.pipeline.lm.BpeTokenizer;
import org.versatune.pipeline.lm.HfCheckpoint;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.lm.LmConfig;
import org.versatune.pipeline.lm.TransformerLm;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
class StagedTrainingTest {
    /** Tiny everything: a run of 3 stages takes seconds. */
    static final Settings S = Settings.load(List.of(), List.of("lm.train.local-steps=3", "lm.train.tokens-per-batch=512",
            "lm.train.checkpoint-every=2", "train.stages=3", "train.stage-size=60", "train.eval-max-records=10",
            "train.eval-max-mc-items=5", "train.update.eta=4", "train.warmup-steps=2"));
    static String base;
    static String ref;

    @BeforeAll
    static void baseModel(@TempDir Path dir) throws Exception {
        List<String> text = new ArrayList<>();
        for (File f : new File(Samples.sft()).listFiles()) {
            text.add(f.getName());
        }
        text.add("the court held that the statute applies; def f(x): return x; blood pressure and the heart");
        BpeTokenizer tok = BpeTokenizer.train(text, 320);
        LmConfig cfg = new LmConfig(tok.vocabSize(), 48, 32, 1, 2, 2, LmConfig.RELU);
        base = dir.resolve("base").toString();
        new LmCheckpoint(cfg, tok, TransformerLm.initialise(cfg, 9, DataType.FLOAT).params(), null, Map.of())
                .save(new Configuration(), base);
        ref = Samples.write(dir.resolve("reference.json"), "{\"law\": 3.0, \"medicine\": 3.5, \"finance\": 3.0, "
                + "\"science\": 3.2, \"code\": 3.4, \"general\": 3.3}").toString();
    }

    static StagedTraining.Request request(String weights, String target, Boolean reweight) {
        return new StagedTraining.Request(base, List.of(Samples.sft()), List.of(Samples.sft(), Samples.eval()), weights, null,
                target, null, null, null, ref, reweight);
    }

    static float[] params(String dir) {
        return LmCheckpoint.load(new Configuration(), dir).params().toFloatVector();
    }

    @Test
    void runsStagesWritesWeightsHistoryAndResumesToTheSameResult(SparkSession spark, @TempDir Path dir) throws Exception {
        String straight = dir.resolve("straight").toString();
        Map<String, Object> stats = StagedTraining.run(spark, S, request("uniform", null, null), straight, false, false);
        assertThat(stats).containsEntry("stages", 3).containsEntry("reweight", true);
        for (int k = 1; k <= 3; k++) {
            assertThat(Files.exists(dir.resolve("straight/weights-stage-" + k + ".json"))).isTrue();
            assertThat(StageOutput.isComplete(new Configuration(), straight + "/stage-" + k, StagedTraining.STAGE_PART)).isTrue();
        }
        Map<String, Object> w2 = Json.readMap(new Configuration(), straight + "/weights-stage-2.json");
        assertThat(w2).containsKeys("weights", "next_weights", "loss", "learnable_potential", "forgetting_degree", "score");
        assertThat(w2.get("weights")).isNotEqualTo(Json.readMap(new Configuration(), straight + "/weights-stage-1.json").get("weights"));
        assertThat(TableSchemaRows.count(spark, straight + "/" + StagedTraining.HISTORY)).isEqualTo(18);
        @SuppressWarnings("unchecked")
        Map<String, Number> fin = (Map<String, Number>) stats.get("final_weights");
        assertThat(fin.values().stream().mapToDouble(Number::doubleValue).sum()).isCloseTo(1.0, within(1e-9));
        // the tokens trained: each stage's count, summed (every record holds at least its prompt and an end token)
        long tokens = 0;
        for (int k = 1; k <= 3; k++) {
            tokens += ((Number) Json.readMap(new Configuration(), straight + "/stage-" + k + "/" + StagedTraining.SFT_TOKENS)
                    .get("tokens")).longValue();
        }
        assertThat(tokens).isGreaterThan(2L * ((Number) stats.get("stage_size")).longValue() * 3);
        assertThat(((Number) stats.get("tokens_trained")).longValue()).isEqualTo(tokens);

        // a crash after stage 2 committed (stage 3 and the run's own outputs lost): --resume ends identically
        String crashed = dir.resolve("crashed").toString();
        copy(dir.resolve("straight"), dir.resolve("crashed"));
        for (String gone : List.of("stage-3", "model", "summary.json", "stats.json", StageOutput.MARKER, "weights-stage-3.json",
                StagedTraining.HISTORY, StagedTraining.HISTORY + ".json")) {
            delete(dir.resolve("crashed").resolve(gone));
        }
        assertThatThrownBy(() -> StagedTraining.run(spark, S, request("uniform", null, null), crashed, false, false))
                .hasMessageContaining("--resume");
        Map<String, Object> resumed = StagedTraining.run(spark, S, request("uniform", null, null), crashed, false, true);
        assertThat(resumed.get("final_weights")).isEqualTo(stats.get("final_weights"));
        assertThat(resumed.get("tokens_trained")).isEqualTo(stats.get("tokens_trained"));
        assertThat(params(crashed + "/model")).isEqualTo(params(straight + "/model"));

        // a crash inside stage 3 after an in-stage checkpoint: the stage continues from it, same end
        String mid = dir.resolve("mid").toString();
        copy(dir.resolve("crashed"), dir.resolve("mid"));
        Map<String, Object> st3 = Json.readMap(new Configuration(), mid + "/stage-3/state.json");
        long start = ((Number) st3.get("step_start")).longValue();
        LmCheckpoint stage2 = LmCheckpoint.load(new Configuration(), mid + "/stage-2/model");
        assertThat(stage2.step()).isEqualTo(start);
        for (String gone : List.of("stage-3", "model", "summary.json", "stats.json", StageOutput.MARKER)) {
            delete(dir.resolve("mid").resolve(gone));
        }
        // fail the driver right after the first round of stage 3 (its in-stage checkpoint written), then resume
        System.setProperty("versatune.fault", "after-round:" + (start + 3));
        try {
            assertThatThrownBy(() -> StagedTraining.run(spark, S, request("uniform", null, null), mid, false, true))
                    .hasMessageContaining("injected failure");
        } finally {
            System.clearProperty("versatune.fault");
        }
        assertThat(Files.exists(dir.resolve("mid/.stage-3.checkpoints/latest/params.bin"))).isTrue();
        Map<String, Object> again = StagedTraining.run(spark, S, request("uniform", null, null), mid, false, true);
        assertThat(again.get("final_weights")).isEqualTo(stats.get("final_weights"));
        assertThat(params(mid + "/model")).isEqualTo(params(straight + "/model"));
        // a completed run is skipped
        assertThat(StagedTraining.run(spark, S, request("uniform", null, null), straight, false, false)).containsEntry("skipped", true);
    }

    @Test
    void fixedStrategiesKeepTheirWeightsAndExpansionKeepsTheTargetInBounds(SparkSession spark, @TempDir Path dir) {
        Map<String, Object> fixed = StagedTraining.run(spark, S.with("train.stages", 2), request("proportional", null, false),
                dir.resolve("fixed").toString(), false, false);
        assertThat(fixed.get("final_weights")).isEqualTo(fixed.get("initial_weights"));
        Settings exp = S.with("train.stages", 3).with("train.expansion.alpha-min", 0.45).with("train.expansion.alpha-max", 0.55);
        StagedTraining.Request r = new StagedTraining.Request(base, List.of(Samples.sft()), List.of(Samples.sft()), "uniform-rest",
                null, "code", 0.5, null, null, ref, null);
        Map<String, Object> ur = StagedTraining.run(spark, exp, r, dir.resolve("ur").toString(), false, false);
        assertThat(ur).containsEntry("reweight", false);
        @SuppressWarnings("unchecked")
        Map<String, Number> w = (Map<String, Number>) ur.get("final_weights");
        assertThat(w.get("code").doubleValue()).isCloseTo(0.5, within(1e-9));
    }

    /** GPT-2 and Llama checkpoints imported from the Hugging Face layout train like ours (GPT-2: its end token in every role). */
    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama"})
    void anImportedModelTrainsUnchanged(String fixture, SparkSession spark, @TempDir Path dir) {
        LmCheckpoint imported = HfCheckpoint.read(Path.of("src/test/resources", fixture));
        String model = dir.resolve("imported").toString();
        imported.save(new Configuration(), model);
        StagedTraining.Request r = new StagedTraining.Request(model, List.of(Samples.sft()), List.of(Samples.sft(), Samples.eval()),
                "uniform", null, null, null, null, null, ref, true);
        Map<String, Object> stats = StagedTraining.run(spark, S, r, dir.resolve("run").toString(), false, false);
        assertThat(stats).containsEntry("stages", 3);
        LmCheckpoint trained = LmCheckpoint.load(new Configuration(), dir.resolve("run/model").toString());
        assertThat(trained.config()).isEqualTo(imported.config());
        assertThat(trained.tokenizer().specials()).isEqualTo(imported.tokenizer().specials());
        assertThat(trained.params().equals(imported.params())).isFalse();
        assertThat(trained.params().toFloatVector()).doesNotContain(Float.NaN);
    }

    @Test
    void everyShardGetsExamplesAndShardsDoNotDependOnTheInputPartitioning(SparkSession spark) {
        Dataset<Row> recs = Ingest.read(spark, S,
                List.of(Samples.sft("law")), null).records();
        LmCheckpoint b = LmCheckpoint.load(new Configuration(), base);
        for (int p : new int[]{2, 3, 5}) {
            List<List<String>> a = SftData.examples(spark, recs.repartition(1), b.tokenizer(), 48, p, 7)
                    .map(e -> Arrays.toString(e.tokens()) + "@" + e.lossFrom()).glom().collect();
            List<List<String>> c = SftData.examples(spark, recs.repartition(4), b.tokenizer(), 48, p, 7)
                    .map(e -> Arrays.toString(e.tokens()) + "@" + e.lossFrom()).glom().collect();
            assertThat(a).hasSize(p).allMatch(shard -> !shard.isEmpty());
            assertThat(a).isEqualTo(c);
        }
    }

    @Test
    void clampTargetKeepsTheShareWithinBoundsAndTheRestInProportion() {
        double[] w = StagedTraining.clampTarget(new double[]{0.9, 0.06, 0.04}, 0, 0.3, 0.7);
        assertThat(w[0]).isCloseTo(0.7, within(1e-12));
        assertThat(w[1] / w[2]).isCloseTo(1.5, within(1e-12));
        assertThat(w[0] + w[1] + w[2]).isCloseTo(1.0, within(1e-12));
        double[] low = StagedTraining.clampTarget(new double[]{0.1, 0.45, 0.45}, 0, 0.3, 0.7);
        assertThat(low[0]).isCloseTo(0.3, within(1e-12));
    }

    static void copy(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void delete(Path p) throws Exception {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }

    /** Row count of a Parquet folder. */
    static final class TableSchemaRows {
        static long count(SparkSession spark, String path) {
            return spark.read().parquet(path).count();
        }
    }
}
