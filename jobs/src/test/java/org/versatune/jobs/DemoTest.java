package org.versatune.jobs;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.versatune.pipeline.io.Json;
import org.versatune.pipeline.testing.SparkExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's run command: the whole pipeline on the bundled sample, end to end. */
@ExtendWith(SparkExtension.class)
class DemoTest {
    @Test
    @SuppressWarnings("unchecked")
    void theDemoRunsEveryStageAndASecondRunSkipsThem(SparkSession spark, @TempDir Path dir) throws Exception {
        String out = dir.resolve("demo").toString();
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(new PrintWriter(o, true), new PrintWriter(e, true), "demo", "--output", out,
                "--set", "classifier.num-features=65536", "--set", "classifier.max-iter=30");
        assertThat(code).as(e.toString()).isZero();
        assertThat(o.toString()).contains("1/9 ingest SFT pool: 1920 accepted, 0 rejected", "5/9 pretrain base model",
                "7/9 compose a versatune mixture: 400 records", "8/9 staged training", "demo complete");
        // the probe's verdict is in its summary line; the tiny base cannot be read reliably, and the demo says it goes on anyway
        assertThat(o.toString()).containsPattern("6/9 probe: 256 samples, \\d+ unlabeled; estimate \\((first-token|pacc|raw)\\) untrusted: ")
                .contains("composing from its estimate anyway");
        Map<String, Object> dist = Json.readMap(new Configuration(), out + "/probe/distribution.json");
        assertThat((Map<String, Object>) dist.get("trust")).containsEntry("verdict", "untrusted");
        for (String stage : new String[]{"ingest-sft", "ingest-text", "classifier", "classified-text", "base", "probe", "mixture"}) {
            assertThat(Files.exists(dir.resolve("demo/" + stage + "/_VERSATUNE_SUCCESS"))).as(stage).isTrue();
        }
        Map<String, Object> train = Json.readMap(new Configuration(), out + "/train/summary.json");
        assertThat(train).containsEntry("stages", 4).containsEntry("reweight", true);
        assertThat(train.get("final_weights")).isNotEqualTo(train.get("initial_weights"));
        assertThat(Files.exists(dir.resolve("demo/train/weights-stage-4.json"))).isTrue();
        assertThat(Files.readString(dir.resolve("demo/train/report/index.html"))).contains("data:image/png;base64,");
        assertThat(Files.readString(dir.resolve("demo/eval.json"))).contains("\"mc_accuracy\"");
        Map<String, Object> base = Json.readMap(new Configuration(), out + "/base/stats.json");
        assertThat(base.get("heldout_loss_lowered_everywhere")).isEqualTo(true);

        StringWriter again = new StringWriter();
        assertThat(Main.run(new PrintWriter(again, true), new PrintWriter(new StringWriter(), true), "demo", "--output", out,
                "--set", "classifier.num-features=65536", "--set", "classifier.max-iter=30")).isZero();
        assertThat(again.toString()).contains("demo complete");
    }
}
