package org.versatune.pipeline.pretrain;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.config.Settings;
import org.versatune.pipeline.lm.LmCheckpoint;
import org.versatune.pipeline.mixture.MixtureWeights;
import org.versatune.pipeline.testing.Samples;
import org.versatune.pipeline.testing.SparkExtension;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(SparkExtension.class)
public class PretrainStageTest {
    /** A tiny model so that the stage runs in seconds. */
    public static final Settings TINY = Settings.load(List.of(), List.of("lm.model.d-model=64", "lm.model.heads=2",
            "lm.model.layers=1", "lm.model.context=32", "lm.tokenizer.vocab-size=400", "lm.tokenizer.train-chars=200000",
            "lm.train.local-steps=4", "lm.train.warmup-steps=2", "lm.train.tokens-per-batch=1024",
            "lm.train.learning-rate=3e-3", "lm.pretrain.heldout-max-tokens=3000"));

    @Test
    void drawsTheExactMixtureLowersHeldOutLossAndWritesACheckpoint(SparkSession spark, @TempDir Path dir) {
        MixtureWeights mix = MixtureWeights.parse(TINY.domains(), "law=0.1,medicine=0.1,finance=0.05,science=0.15,code=0.25,general=0.35");
        String out = dir.resolve("model").toString();
        Map<String, Object> stats = PretrainStage.run(spark, TINY, List.of(Samples.pretrain()), mix, 40_000, out, false, false);
        @SuppressWarnings("unchecked")
        Map<String, Number> realised = (Map<String, Number>) stats.get("mix_realised");
        realised.forEach((d, share) -> assertThat(share.doubleValue()).as(d).isCloseTo(mix.get(d), within(0.005)));
        assertThat(((Number) stats.get("tokens_trained")).longValue()).isBetween(40_000L, 40_000L + 6 * 33);
        assertThat(stats.get("heldout_loss_lowered_everywhere")).isEqualTo(true);
        LmCheckpoint ck = LmCheckpoint.load(new Configuration(), out);
        assertThat(ck.config().dModel()).isEqualTo(64);
        assertThat(ck.tokenizer().vocabSize()).isLessThanOrEqualTo(400);
        assertThat(ck.step()).isEqualTo(((Number) stats.get("steps")).longValue());
        assertThat(PretrainStage.run(spark, TINY, List.of(Samples.pretrain()), mix, 40_000, out, false, false))
                .containsEntry("skipped", true);
    }

    @Test
    void aTokenBudgetUnderOneIsRefusedBeforeAnyWork(SparkSession spark, @TempDir Path dir) {
        MixtureWeights mix = MixtureWeights.parse(TINY.domains(), "law=0.5,code=0.5");
        for (long bad : new long[]{0, -5}) {
            assertThatThrownBy(() -> PretrainStage.run(spark, TINY, List.of(Samples.pretrain()), mix, bad,
                    dir.resolve("m").toString(), false, false)).hasMessageContaining("--tokens").hasMessageContaining("got " + bad);
        }
        assertThat(dir.resolve("m")).doesNotExist();
    }

    @Test
    void aMixtureWithoutDataForADomainIsAClearError(SparkSession spark, @TempDir Path dir) {
        MixtureWeights mix = MixtureWeights.parse(TINY.domains(), "law=0.5,code=0.5");
        assertThatThrownBy(() -> PretrainStage.run(spark, TINY, List.of(Samples.pretrain() + "/law.txt.gz"), mix, 1000,
                dir.resolve("m").toString(), false, false))
                .hasMessageContaining("domain 'code'").hasMessageContaining("no training text");
    }
}
